// The pthread interposer's C half (docs/interpose.md): the wrappers of pthread_mutex_*,
// pthread_rwlock_*, pthread_spin_* and pthread_cond_wait/timedwait, the table from a pthread
// object's address to its checker identity, and the calls into the checker, which the Swift
// half (LockOrderInterpose) implements with @_cdecl.
#ifndef LOCKORDER_CLOCKORDERINTERPOSE_H
#define LOCKORDER_CLOCKORDERINTERPOSE_H

#include <stdint.h>

/// A lock's identity for the checker as C keeps it: the parts of Swift's `LockIdentity`.
typedef struct lockorder_foreign_identity {
    uint64_t id;
    uint32_t name_id;
    uint16_t class_index;
    uint8_t kind;         ///< LockKind raw value
    uint8_t option_bits;
} lockorder_foreign_identity;

/// What kind of pthread object a lock is, and how it was first seen.
enum {
    LOCKORDER_FOREIGN_MUTEX = 0,
    LOCKORDER_FOREIGN_RECURSIVE_MUTEX = 1,
    LOCKORDER_FOREIGN_ERRORCHECK_MUTEX = 2,
    LOCKORDER_FOREIGN_SPIN = 3,
    LOCKORDER_FOREIGN_RWLOCK = 4,
    LOCKORDER_FOREIGN_WRITER_RWLOCK = 5,
};

/// The operation being checked, for the site shown in reports.
enum {
    LOCKORDER_OP_INIT = 0,
    LOCKORDER_OP_FIRST_USE = 1,
    LOCKORDER_OP_LOCK = 2,
    LOCKORDER_OP_UNLOCK = 3,
    LOCKORDER_OP_COND_WAIT = 4,
    LOCKORDER_OP_DESTROY = 5,
};

/// Release verdicts (LockOrderChecker.ReleaseVerdict).
enum { LOCKORDER_RELEASE = 0, LOCKORDER_STILL_HELD = 1, LOCKORDER_NOT_HELD = 2 };

// Implemented in Swift (LockOrderInterpose), called only with the thread's bypass flag set.
/// `frames`: the class site, the init (or first lock) call's return address and its callers.
void lockorder_interpose_register(uint8_t flavor, uint8_t operation, const uintptr_t *frames, uint8_t count,
                                  lockorder_foreign_identity *identity);
void lockorder_interpose_will_acquire(const lockorder_foreign_identity *identity, uint8_t shared,
                                      uint8_t attempt, uintptr_t site);
void lockorder_interpose_did_acquire(const lockorder_foreign_identity *identity, uint8_t shared,
                                     uint8_t attempt, uintptr_t site);
int lockorder_interpose_will_release(const lockorder_foreign_identity *identity, uint8_t shared,
                                     uintptr_t site);
void lockorder_interpose_report_unlock_not_held(const lockorder_foreign_identity *identity,
                                                uint8_t shared, uint8_t held_by_another, uintptr_t site);
/// 1 held (in that mode; shared 2 = either), 0 not held, -1 unknown (checking off).
int lockorder_interpose_holds(const lockorder_foreign_identity *identity, uint8_t shared);
void lockorder_interpose_destroyed(const lockorder_foreign_identity *identity, uint8_t held_elsewhere,
                                   uintptr_t site);

/// Whether the interposer is checking (LOCKORDER_CHECK on, and no other copy of the checker
/// in the process). Read by tests and by `lockorder run`'s self-check.
int lockorder_interpose_is_active(void);

#endif
