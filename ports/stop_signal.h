// ports/stop_signal.h: Ctrl-C and SIGTERM as a request to stop, not a kill.
//
// A long job (training) installs this, polls StopRequested() between units of
// work, saves its state and exits. The handler only sets a flag, and is
// one-shot: a second Ctrl-C gets the default action, so a job stuck in a
// long step can still be killed (its files are written atomically, so that
// loses nothing already saved).
#pragma once

namespace edgert::ports {

void CatchStopSignals();
bool StopRequested();
int StopSignal();  // the signal number that asked, 0 if none
// For tests: as if the signal had arrived.
void RequestStop(int signal_number);

}  // namespace edgert::ports
