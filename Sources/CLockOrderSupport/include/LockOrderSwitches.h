// The process-wide switches every lock operation reads: the mode, the checking epoch, whether
// the learned order graph is on, and the graph epoch.
//
// They live in C so that each read is one plain load (a relaxed or acquire atomic) that Swift
// inlines, from a variable that is constant-initialised: a Swift global or static `let` is
// initialised lazily and every read of it on Linux calls `swift_once`.
#ifndef LOCKORDER_SWITCHES_H
#define LOCKORDER_SWITCHES_H

#include <stdint.h>

/// For Swift's optimizer, on every C function a lock type's inlined code calls: the function
/// releases no Swift object (it is C that calls no Swift code). Swift otherwise assumes that any
/// C call may release anything, and then keeps a lock object retained across the whole inlined
/// lock or unlock whenever the caller reached it through memory (an array element, another
/// object's field): a `swift_retain` and a `swift_release`, atomic read-modify-writes on the lock
/// object, around every operation, checking on or off (docs/performance.md, "The retain").
#define LOCKORDER_RELEASES_NOTHING __attribute__((swift_attr("@_effects(releasenone)")))

/// Process-wide switches read on every lock operation. Each is one plain load (relaxed atomic);
/// they are written rarely, under the checker's own lock.
enum {
    LOCKORDER_MODE_OFF = 0,
    LOCKORDER_MODE_REPORT = 1,
    LOCKORDER_MODE_ABORT = 2,
    LOCKORDER_MODE_UNCONFIGURED = 0xFF,  ///< the environment has not been read yet
};
typedef struct lockorder_switches {
    uint64_t epoch;           ///< see lockorder_epoch()
    uint64_t graph_epoch;     ///< see lockorder_graph_epoch()
    uint64_t generation;      ///< the last epoch handed out (epochs are never reused)
    uint8_t mode;             ///< LOCKORDER_MODE_*
    uint8_t learning;         ///< see lockorder_learning()
    uint8_t timing;           ///< see lockorder_timing()
} lockorder_switches;

/// The switches, alone on their cache line: every lock operation reads them, and no write to
/// a neighbouring variable can then make two threads' lock operations contend for that line.
extern struct lockorder_switches_line {
    lockorder_switches value;
    uint8_t padding[64 - sizeof(lockorder_switches)];
} lockorder_switches_storage __attribute__((aligned(64)));

#define lockorder_mode_storage (lockorder_switches_storage.value.mode)
#define lockorder_learning_storage (lockorder_switches_storage.value.learning)
#define lockorder_timing_storage (lockorder_switches_storage.value.timing)
#define lockorder_epoch_storage (lockorder_switches_storage.value.epoch)
#define lockorder_epoch_generation_storage (lockorder_switches_storage.value.generation)
#define lockorder_graph_epoch_storage (lockorder_switches_storage.value.graph_epoch)

LOCKORDER_RELEASES_NOTHING static inline uint8_t lockorder_mode(void) {
    return __atomic_load_n(&lockorder_mode_storage, __ATOMIC_RELAXED);
}
/// The checking epoch while checking is off. No thread's gate ever holds it (gates hold 0 or
/// an epoch checking was on in), so every gate compare fails while it is set.
#define LOCKORDER_EPOCH_OFF UINT64_MAX

/// The checking epoch: changes whenever checking is (re)started, so that a thread whose held
/// stack belongs to an older epoch discards it; LOCKORDER_EPOCH_OFF exactly when checking is
/// off, so that lock types read one word to choose between their raw path and their checked one.
LOCKORDER_RELEASES_NOTHING static inline uint64_t lockorder_epoch(void) {
    return __atomic_load_n(&lockorder_epoch_storage, __ATOMIC_ACQUIRE);
}
/// Whether `epoch` (from `lockorder_epoch()`) says checking is off.
LOCKORDER_RELEASES_NOTHING static inline int lockorder_epoch_is_off(uint64_t epoch) {
    return epoch == LOCKORDER_EPOCH_OFF;
}
/// Starts a new checking epoch (never one used before), or stays off while checking is off.
static inline void lockorder_advance_epoch(void) {
    uint64_t next = __atomic_add_fetch(&lockorder_epoch_generation_storage, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&lockorder_mode_storage, __ATOMIC_RELAXED) != LOCKORDER_MODE_OFF) {
        __atomic_store_n(&lockorder_epoch_storage, next, __ATOMIC_RELEASE);
    }
}
/// Sets the mode; the epoch follows it: off when checking is off, a new one when checking comes
/// back on.
static inline void lockorder_set_mode(uint8_t mode) {
    __atomic_store_n(&lockorder_mode_storage, mode, __ATOMIC_RELAXED);
    if (mode == LOCKORDER_MODE_OFF) {
        __atomic_store_n(&lockorder_epoch_storage, LOCKORDER_EPOCH_OFF, __ATOMIC_RELEASE);
    } else if (lockorder_epoch() == LOCKORDER_EPOCH_OFF) {
        lockorder_advance_epoch();
    }
}
/// Non-zero when the learned order graph is on (LOCKORDER_LEARN).
static inline uint8_t lockorder_learning(void) {
    return __atomic_load_n(&lockorder_learning_storage, __ATOMIC_RELAXED);
}
static inline void lockorder_set_learning(uint8_t learning) {
    __atomic_store_n(&lockorder_learning_storage, learning, __ATOMIC_RELAXED);
}
/// What is timed (LOCKORDER_HOLD_WARN, LOCKORDER_STATS), as LOCKORDER_TIMING_* bits; 0 when
/// nothing is. While it is not 0 the inlined fast-path calls step aside, so that every
/// acquisition and release goes through the full calls, which take the time (docs/watchdog.md):
/// open gates then hold the epoch marked with LOCKORDER_GATE_TIMED (`lockorder_open_gate`), which
/// the inlined calls, comparing the gate with the bare epoch, never match. So they read no
/// switch of their own for it.
enum {
    LOCKORDER_TIMING_HOLDS = 1,  ///< holds are timed, for LOCKORDER_HOLD_WARN
    LOCKORDER_TIMING_STATS = 2,  ///< contention statistics are kept (LOCKORDER_STATS)
};
static inline uint8_t lockorder_timing(void) {
    return __atomic_load_n(&lockorder_timing_storage, __ATOMIC_RELAXED);
}
static inline void lockorder_set_timing(uint8_t timing) {
    __atomic_store_n(&lockorder_timing_storage, timing, __ATOMIC_RELAXED);
}
/// The mark on an open gate while holds are timed. Epochs are counters that never come near
/// it, so a marked gate never equals an epoch, nor LOCKORDER_EPOCH_OFF.
#define LOCKORDER_GATE_TIMED (1ull << 62)
/// The value a thread's gate holds while it is open in `epoch`: the epoch itself, or the epoch
/// marked while holds are timed. The full calls compare gates with this; the inlined fast-path
/// calls with the bare epoch, so they step aside while holds are timed.
static inline uint64_t lockorder_open_gate(uint64_t epoch) {
    return lockorder_timing() != 0 ? (epoch ^ LOCKORDER_GATE_TIMED) : epoch;
}
/// Changes whenever edges leave the learned graph: per-thread chain caches are then stale.
static inline uint64_t lockorder_graph_epoch(void) {
    return __atomic_load_n(&lockorder_graph_epoch_storage, __ATOMIC_ACQUIRE);
}
static inline void lockorder_advance_graph_epoch(void) {
    __atomic_fetch_add(&lockorder_graph_epoch_storage, 1, __ATOMIC_RELEASE);
}

#endif
