# Cross build for 64-bit ARM Linux with Debian's cross toolchain and the arm64
# multiarch -dev packages (scripts/install-cross-deps.sh installs both).
# Tests run under qemu-user; QEMU_CPU picks the CPU model, so one build serves
# the dotprod and the plain-NEON kernel paths:
#   QEMU_CPU=cortex-a76 ctest ...   (dotprod)    QEMU_CPU=cortex-a53 ctest ...   (no dotprod)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# The arm64 multiarch libc (libc6:arm64, in /lib/aarch64-linux-gnu), not the
# cross toolchain's copy in /usr/aarch64-linux-gnu: the multiarch libraries
# (pthreadpool, gtest, ...) load the multiarch libc, and one process with the
# cross ld.so and the multiarch libc.so (different Debian builds of glibc 2.36)
# hangs in pthread_create (the two disagree on ld.so's private structures).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)

# Libraries and headers from the arm64 multiarch packages; programs (flatc) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
