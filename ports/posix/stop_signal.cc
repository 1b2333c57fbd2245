// ports/posix/stop_signal.cc
#include "ports/stop_signal.h"

#include <signal.h>

namespace edgert::ports {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

extern "C" void OnStopSignal(int signal_number) { g_stop_signal = signal_number; }

}  // namespace

void CatchStopSignals() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // the second one kills
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool StopRequested() { return g_stop_signal != 0; }
int StopSignal() { return g_stop_signal; }
void RequestStop(int signal_number) { g_stop_signal = signal_number; }

}  // namespace edgert::ports
