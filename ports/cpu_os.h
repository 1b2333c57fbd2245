// ports/cpu_os.h: the CPU facts cpuinfo (Debian 12's release) cannot give,
// asked from the OS: one implementation per platform (internal to ports/).
#pragma once

namespace edgert::ports {

// ARMv8.6 i8mm (SMMLA). False on other architectures and where the OS cannot tell.
bool ArmI8mm();

// Physical performance cores where the OS tells them apart from efficiency
// cores (Intel hybrid: the cpu_core PMU's CPU list; Apple: hw.perflevel0),
// 0 where it does not (then every core cpuinfo counts is taken as one).
unsigned OsPerformanceCores();

}  // namespace edgert::ports
