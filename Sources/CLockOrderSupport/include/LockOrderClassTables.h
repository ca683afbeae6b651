// What the fast path needs to know about lock classes and options, as tables indexed by id:
// each class's declared level and whether it is an instance class, and the level of the lock
// each implicit-acquisition option takes.
//
// The Swift checker owns these facts (the hierarchy, the class registry) and writes them here,
// under its own lock, when a class is created or the hierarchy changes. They live in C so that
// the inlined fast path reads one of them with one plain load, without a lock, a call or a
// lazily initialised Swift global.
#ifndef LOCKORDER_CLASS_TABLES_H
#define LOCKORDER_CLASS_TABLES_H

#include <stdint.h>

/// How many lock classes the checker can tell apart (a power of two).
#define LOCKORDER_CLASS_CAPACITY 65536

/// Each class's declared level (0 = undeclared) in the low bits, and the "nests itself" flag,
/// indexed by class id; written under the checker's lock when a class is created, the hierarchy
/// changes or two of the class's locks are first nested, read on every acquisition.
extern uint16_t lockorder_class_level_storage[LOCKORDER_CLASS_CAPACITY];

/// Set in a class's entry once two of its locks were nested (R32): the checker then orders its
/// locks by instance, and the chain key holds each such lock's id, so that the chain cache tells
/// one order of two instances from the other. Levels stay below it (at most 255).
#define LOCKORDER_CLASS_NESTS_ITSELF 0x8000u
#define LOCKORDER_CLASS_LEVEL_MASK 0x7fffu

/// A class's entry: its level and flags, one load.
static inline uint16_t lockorder_class_entry(uint32_t class_id) {
    return __atomic_load_n(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                           __ATOMIC_RELAXED);
}

static inline uint16_t lockorder_class_level(uint32_t class_id) {
    return (uint16_t)(lockorder_class_entry(class_id) & LOCKORDER_CLASS_LEVEL_MASK);
}

/// Whether two locks of the class have been nested (its locks are ordered by instance).
static inline int lockorder_class_nests_itself(uint32_t class_id) {
    return (lockorder_class_entry(class_id) & LOCKORDER_CLASS_NESTS_ITSELF) != 0;
}

static inline void lockorder_set_class_nests_itself(uint32_t class_id) {
    __atomic_fetch_or(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                      (uint16_t)LOCKORDER_CLASS_NESTS_ITSELF, __ATOMIC_RELAXED);
}
/// Whether each class is an instance class (`LockClass.instance`), indexed by class id: a lock
/// keeps its identity in 16 bytes by asking here instead of storing the flag.
extern uint8_t lockorder_class_is_instance_storage[LOCKORDER_CLASS_CAPACITY];

static inline int lockorder_class_is_instance(uint32_t class_id) {
    return __atomic_load_n(&lockorder_class_is_instance_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                           __ATOMIC_RELAXED);
}
static inline void lockorder_set_class_is_instance(uint32_t class_id, int is_instance) {
    __atomic_store_n(&lockorder_class_is_instance_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                     (uint8_t)(is_instance != 0), __ATOMIC_RELAXED);
}

/// Non-zero once any lock has been given an instance-order key: until then, destroying a lock
/// need not tell the checker to forget one.
extern uint8_t lockorder_order_keys_used_storage;

static inline int lockorder_order_keys_used(void) {
    return __atomic_load_n(&lockorder_order_keys_used_storage, __ATOMIC_RELAXED);
}
static inline void lockorder_note_order_keys_used(void) {
    __atomic_store_n(&lockorder_order_keys_used_storage, 1, __ATOMIC_RELAXED);
}

/// Sets a class's level and keeps its flags (only the checker writes, under its lock).
static inline void lockorder_set_class_level(uint32_t class_id, uint16_t level) {
    uint16_t flags = (uint16_t)(lockorder_class_entry(class_id) & ~LOCKORDER_CLASS_LEVEL_MASK);
    __atomic_store_n(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                     (uint16_t)(flags | (level & LOCKORDER_CLASS_LEVEL_MASK)), __ATOMIC_RELAXED);
}

/// Clears a class's level and flags (an instance class's id freed for reuse).
static inline void lockorder_clear_class_entry(uint32_t class_id) {
    __atomic_store_n(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)], (uint16_t)0,
                     __ATOMIC_RELAXED);
}

/// For each implicit-acquisition option bit, the level of the lock it implicitly acquires in
/// the active hierarchy (0 = none). Written under the checker's lock when an option is first
/// used or the hierarchy changes.
extern uint16_t lockorder_option_level_storage[8];

static inline void lockorder_set_option_level(uint32_t bit_index, uint16_t level) {
    __atomic_store_n(&lockorder_option_level_storage[bit_index & 7], level, __ATOMIC_RELAXED);
}

#endif
