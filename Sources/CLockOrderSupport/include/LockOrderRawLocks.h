// The raw pthread lock calls LockCore's inlined lock and unlock code makes, each the pthread call
// itself and nothing more. They exist for Swift's optimizer only: marked as releasing no Swift
// object (LOCKORDER_RELEASES_NOTHING, in LockOrderSwitches.h), which pthread's own declarations
// cannot say. Without the mark, a call to pthread_mutex_lock whose result is then tested keeps
// the lock object retained across it whenever the caller reached the lock through memory (an
// array element, another object's field): a swift_retain and a swift_release around every lock
// and unlock, checking on or off (docs/performance.md, "The retain").
#ifndef LOCKORDER_RAW_LOCKS_H
#define LOCKORDER_RAW_LOCKS_H

#include <pthread.h>

#include "LockOrderSwitches.h"

#define LOCKORDER_RAW_INLINE static inline __attribute__((always_inline)) LOCKORDER_RELEASES_NOTHING

LOCKORDER_RAW_INLINE int lockorder_raw_mutex_lock(pthread_mutex_t *mutex) { return pthread_mutex_lock(mutex); }
LOCKORDER_RAW_INLINE int lockorder_raw_mutex_trylock(pthread_mutex_t *mutex) { return pthread_mutex_trylock(mutex); }
LOCKORDER_RAW_INLINE int lockorder_raw_mutex_unlock(pthread_mutex_t *mutex) { return pthread_mutex_unlock(mutex); }
LOCKORDER_RAW_INLINE int lockorder_raw_rwlock_rdlock(pthread_rwlock_t *rwlock) {
    return pthread_rwlock_rdlock(rwlock);
}
LOCKORDER_RAW_INLINE int lockorder_raw_rwlock_wrlock(pthread_rwlock_t *rwlock) {
    return pthread_rwlock_wrlock(rwlock);
}
LOCKORDER_RAW_INLINE int lockorder_raw_rwlock_tryrdlock(pthread_rwlock_t *rwlock) {
    return pthread_rwlock_tryrdlock(rwlock);
}
LOCKORDER_RAW_INLINE int lockorder_raw_rwlock_trywrlock(pthread_rwlock_t *rwlock) {
    return pthread_rwlock_trywrlock(rwlock);
}
LOCKORDER_RAW_INLINE int lockorder_raw_rwlock_unlock(pthread_rwlock_t *rwlock) {
    return pthread_rwlock_unlock(rwlock);
}

#endif
