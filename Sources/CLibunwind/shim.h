// libunwind's API is made of macros that resolve to different symbols depending on
// UNW_LOCAL_ONLY; it must be defined before the header so that the names point at the
// local-unwinding implementation in libunwind.so (not libunwind-x86_64.so).
#ifndef LOCKORDER_CLIBUNWIND_SHIM_H
#define LOCKORDER_CLIBUNWIND_SHIM_H
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif
