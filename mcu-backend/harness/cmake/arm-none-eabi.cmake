# CMake toolchain file for bare-metal Cortex-M builds with arm-none-eabi-gcc (Debian: gcc-arm-none-eabi,
# libnewlib-arm-none-eabi). The generated CMakeLists.txt adds the core's -mcpu/-mthumb/float-ABI flags
# itself (TINYFORGE_CPU_FLAGS). Usage: cmake -S <out>/mcu -B build -DCMAKE_TOOLCHAIN_FILE=<this file>
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# No OS to link a test program against: CMake's compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
