# CMake toolchain file for bare-metal Cortex-M builds with clang (Debian: clang) against newlib's headers
# from Debian's libnewlib-arm-none-eabi (/usr/lib/arm-none-eabi; pass -DCMAKE_SYSROOT=... for another).
# The generated CMakeLists.txt adds the core's -mcpu/-mthumb/float-ABI flags itself (TINYFORGE_CPU_FLAGS).
# Usage: cmake -S <out>/mcu -B build -DCMAKE_TOOLCHAIN_FILE=<this file>
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET arm-none-eabi)
if(NOT CMAKE_SYSROOT)
  set(CMAKE_SYSROOT /usr/lib/arm-none-eabi)
endif()
# No OS and no linker setup here: CMake's compiler checks build a static library instead of a program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
