// Where each thread was created (ThreadSanitizer's "created by ... at"): lockorder defines
// `pthread_create`, which every thread of the process is made through (Foundation's Thread,
// Dispatch's workers, C libraries), so a program that links the checker, or runs under the
// interposer, has its threads' creations recorded. While checking is on, the wrapper notes the
// creating thread and its stack (addresses only: naming them is left to a report) and hands them
// to the new thread before its start routine runs. While checking is off it only forwards the call.
#ifndef LOCKORDER_THREAD_CREATION_H
#define LOCKORDER_THREAD_CREATION_H

#include <stdint.h>

#define LOCKORDER_CREATION_FRAMES 24

/// The calling thread's creation, as its creator saw it. `recorded` is 0 for a thread created
/// while checking was off, before the checker was linked in, or by another path than
/// `pthread_create` (the main thread).
typedef struct lockorder_thread_creation {
    uint32_t recorded;
    uint32_t frame_count;
    uint64_t creator_serial;  ///< the creator's checker serial, 0 if it never met the checker
    int64_t creator_tid;
    char creator_name[16];    ///< the creator's kernel name when it made the thread
    uintptr_t frames[LOCKORDER_CREATION_FRAMES];  ///< return addresses, innermost first
} lockorder_thread_creation;

/// The calling thread's record (zeroed when none was made).
const lockorder_thread_creation *lockorder_current_thread_creation(void);

/// How many threads were created through the wrapper with their creation recorded: a test can
/// tell that the wrapper is in the path.
uint64_t lockorder_recorded_thread_creations(void);

#endif
