// The pthread_create wrapper (LockOrderThreadCreation.h).
#define _GNU_SOURCE
#include "LockOrderThreadCreation.h"
#include "LockOrderSwitches.h"
#include "LockOrderThreadState.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../CLibunwind/shim.h"

static __thread lockorder_thread_creation creation_storage __attribute__((tls_model("initial-exec")));
static _Atomic uint64_t recorded_creations;

const lockorder_thread_creation *lockorder_current_thread_creation(void) { return &creation_storage; }

uint64_t lockorder_recorded_thread_creations(void) {
    return atomic_load_explicit(&recorded_creations, memory_order_relaxed);
}

typedef int (*pthread_create_function)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/// What the new thread's first frame needs: the program's start routine and argument, and the
/// record it keeps.
typedef struct creation_handoff {
    void *(*start)(void *);
    void *argument;
    lockorder_thread_creation creation;
} creation_handoff;

/// Whether creations are recorded: checking is on, or not configured yet and LOCKORDER_CHECK asks
/// for it (the environment is read by the first lock operation, which may come after the first
/// threads are made).
static int records_creations(void) {
    uint8_t mode = lockorder_mode();
    if (mode == LOCKORDER_MODE_REPORT || mode == LOCKORDER_MODE_ABORT) return 1;
    if (mode != LOCKORDER_MODE_UNCONFIGURED) return 0;
    const char *value = getenv("LOCKORDER_CHECK");
    return value != NULL && value[0] != 0 && strcmp(value, "0") != 0 && strcmp(value, "off") != 0;
}

static void *lockorder_start_created_thread(void *opaque) {
    creation_handoff *handoff = opaque;
    creation_storage = handoff->creation;
    void *(*start)(void *) = handoff->start;
    void *argument = handoff->argument;
    free(handoff);
    return start(argument);
}

// Weak: where the C library is linked statically its own definition wins at link time, instead
// of two definitions failing the link; linked dynamically, this one is found first either way.
__attribute__((noinline, weak)) int pthread_create(
    pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument) {
    static _Atomic(pthread_create_function) real;
    pthread_create_function next = atomic_load_explicit(&real, memory_order_acquire);
    if (next == NULL) {
        next = (pthread_create_function)dlsym(RTLD_NEXT, "pthread_create");
        if (next == NULL) return EAGAIN;  // no C library's to forward to: say so, never crash
        atomic_store_explicit(&real, next, memory_order_release);
    }
    if (!records_creations()) return next(thread, attributes, start, argument);
    creation_handoff *handoff = malloc(sizeof(creation_handoff));
    if (handoff == NULL) return next(thread, attributes, start, argument);
    memset(handoff, 0, sizeof(*handoff));
    handoff->start = start;
    handoff->argument = argument;
    lockorder_thread_creation *creation = &handoff->creation;
    creation->recorded = 1;
    creation->creator_serial = lockorder_current_thread_state()->serial;
    creation->creator_tid = (int64_t)syscall(SYS_gettid);
    prctl(PR_GET_NAME, creation->creator_name, 0, 0, 0);
    creation->creator_name[sizeof(creation->creator_name) - 1] = 0;
    int count = unw_backtrace((void **)creation->frames, LOCKORDER_CREATION_FRAMES);
    creation->frame_count = count > 0 ? (uint32_t)count : 0;
    int result = next(thread, attributes, lockorder_start_created_thread, handoff);
    if (result != 0) {
        free(handoff);
    } else {
        atomic_fetch_add_explicit(&recorded_creations, 1, memory_order_relaxed);
    }
    return result;
}
