// A C program that locks raw pthread mutexes: the interposer sees locks used only from C.
// Run by Tests/EndToEndTests/InterposeTests.swift with LD_PRELOAD.
#define _GNU_SOURCE  // pthread_mutex_clocklock & co.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t *cache_lock;
static pthread_mutex_t *index_lock;

__attribute__((noinline)) static pthread_mutex_t *make_lock(void) {
    static pthread_mutex_t storage[2];
    static int used;
    pthread_mutex_t *mutex = &storage[used++];
    pthread_mutex_init(mutex, NULL);
    return mutex;
}

__attribute__((noinline)) void update_cache_then_index(void) {
    pthread_mutex_lock(cache_lock);
    pthread_mutex_lock(index_lock);
    pthread_mutex_unlock(index_lock);
    pthread_mutex_unlock(cache_lock);
}

__attribute__((noinline)) void rebuild_index_then_cache(void) {
    pthread_mutex_lock(index_lock);
    pthread_mutex_lock(cache_lock);
    pthread_mutex_unlock(cache_lock);
    pthread_mutex_unlock(index_lock);
}

// MARK: The timed and clock variants (glibc 2.30's pthread_*_clock*): each takes its lock as
// the plain call does, and the interposer checks it as a timed attempt.

/// A deadline `milliseconds` from now on `clock`.
static struct timespec after(clockid_t clock, long milliseconds) {
    struct timespec time;
    clock_gettime(clock, &time);
    time.tv_nsec += milliseconds * 1000000L;
    time.tv_sec += time.tv_nsec / 1000000000L;
    time.tv_nsec %= 1000000000L;
    return time;
}

/// cache then index through timedlock (CLOCK_REALTIME), index then cache through clocklock
/// (CLOCK_MONOTONIC) unless `in_order`: a cycle across the two calls, or nothing.
static void timed_mutexes(int in_order) {
    struct timespec real = after(CLOCK_REALTIME, 1000), monotonic = after(CLOCK_MONOTONIC, 1000);
    int results[4];
    results[0] = pthread_mutex_timedlock(cache_lock, &real);
    results[1] = pthread_mutex_clocklock(index_lock, CLOCK_MONOTONIC, &monotonic);
    pthread_mutex_unlock(index_lock);
    pthread_mutex_unlock(cache_lock);
    pthread_mutex_t *first = in_order ? cache_lock : index_lock, *second = in_order ? index_lock : cache_lock;
    results[2] = pthread_mutex_clocklock(first, CLOCK_MONOTONIC, &monotonic);
    results[3] = pthread_mutex_timedlock(second, &real);
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    printf("timed mutexes %d %d %d %d\n", results[0], results[1], results[2], results[3]);
}

/// Two rwlocks: A written then B read (timedwrlock, clockrdlock), then B written then A read
/// (clockwrlock, timedrdlock): a write/read cycle.
static void timed_rwlocks(void) {
    static pthread_rwlock_t locks[2];
    pthread_rwlock_init(&locks[0], NULL);
    pthread_rwlock_init(&locks[1], NULL);
    struct timespec real = after(CLOCK_REALTIME, 1000), monotonic = after(CLOCK_MONOTONIC, 1000);
    int results[4];
    results[0] = pthread_rwlock_timedwrlock(&locks[0], &real);
    results[1] = pthread_rwlock_clockrdlock(&locks[1], CLOCK_MONOTONIC, &monotonic);
    pthread_rwlock_unlock(&locks[1]);
    pthread_rwlock_unlock(&locks[0]);
    results[2] = pthread_rwlock_clockwrlock(&locks[1], CLOCK_MONOTONIC, &monotonic);
    results[3] = pthread_rwlock_timedrdlock(&locks[0], &real);
    pthread_rwlock_unlock(&locks[0]);
    pthread_rwlock_unlock(&locks[1]);
    printf("timed rwlocks %d %d %d %d\n", results[0], results[1], results[2], results[3]);
}

/// pthread_cond_clockwait on cache_lock while holding index_lock, taken after it: the wait
/// takes cache_lock back under index_lock (a cycle); unless `clean`, where nothing else is held.
static void clock_wait(int clean) {
    static pthread_cond_t condition = PTHREAD_COND_INITIALIZER;
    struct timespec monotonic = after(CLOCK_MONOTONIC, 1);
    pthread_mutex_lock(cache_lock);
    if (!clean) pthread_mutex_lock(index_lock);
    int result = pthread_cond_clockwait(&condition, cache_lock, CLOCK_MONOTONIC, &monotonic);
    if (!clean) pthread_mutex_unlock(index_lock);
    pthread_mutex_unlock(cache_lock);
    printf("clock wait %s\n", result == ETIMEDOUT ? "ETIMEDOUT" : strerror(result));
}

// MARK: A release by a tail call from code the Swift runtime called

/// Takes `mutex` and leaves by a tail call to its release, so that pthread_mutex_unlock
/// returns straight to this function's caller (as an optimised Swift closure that ends in
/// `withLock` does).
__attribute__((noinline)) static int lock_then_unlock_by_tail_call(pthread_mutex_t *mutex) {
    pthread_mutex_lock(mutex);
    __attribute__((musttail)) return pthread_mutex_unlock(mutex);
}

/// Runs `lock_then_unlock_by_tail_call` as a one-time initialiser of the Swift runtime
/// (`swift_once`, from libswiftCore.so, which the interposer loads): the release's return address
/// is then in the runtime, the acquisition's in this program.
static void unlock_by_tail_call_from_runtime(void) {
    typedef void (*once_function)(uintptr_t *, void (*)(void *), void *);
    once_function once = (once_function)dlsym(RTLD_DEFAULT, "swift_once");
    if (once == NULL) {
        printf("no swift_once\n");
        return;
    }
    static uintptr_t token[8];
    once(token, (void (*)(void *))lock_then_unlock_by_tail_call, cache_lock);
    printf("initialised once\n");
}

int main(int argc, char **argv) {
    const char *scenario = argc > 1 ? argv[1] : "";
    cache_lock = make_lock();
    index_lock = make_lock();
    if (strcmp(scenario, "timed-abba") == 0 || strcmp(scenario, "timed-in-order") == 0) {
        timed_mutexes(strcmp(scenario, "timed-in-order") == 0);
    } else if (strcmp(scenario, "timed-rwlocks") == 0) {
        timed_rwlocks();
    } else if (strcmp(scenario, "clock-wait") == 0 || strcmp(scenario, "clock-wait-clean") == 0) {
        clock_wait(strcmp(scenario, "clock-wait-clean") == 0);
    } else if (strcmp(scenario, "tail-unlock-from-runtime") == 0) {
        unlock_by_tail_call_from_runtime();
    } else {
        update_cache_then_index();
        if (strcmp(scenario, "abba") == 0) rebuild_index_then_cache();
    }
    printf("c done\n");
    return 0;
}
