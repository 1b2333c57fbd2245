// ports/cpu_os.h: the CPU facts cpuinfo (Debian 12's release) cannot give,
// asked from the OS: one implementation per platform (internal to ports/).
#pragma once

namespace edgert::ports {

// ARMv8.6 i8mm (SMMLA). False on other architectures and where the OS cannot tell.
bool ArmI8mm();

}  // namespace edgert::ports
