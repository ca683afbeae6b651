// C support for LockOrderChecker and LockCore, one header per concern; Swift imports them all
// through this one (`import CLockOrderSupport`).
//
// The rule of the C boundary: C filters, Swift decides (see LockOrderFastPath.h). C holds what
// the lock fast path reads and writes, inlined at every call site, and the OS calls Swift cannot
// make; every rule, every exception and every word of a report is Swift's.
#ifndef LOCKORDER_CLOCKORDERSUPPORT_H
#define LOCKORDER_CLOCKORDERSUPPORT_H

#include "LockOrderThreadState.h"  // the per-thread held stack and chain cache (layout)
#include "LockOrderSwitches.h"     // mode, epochs, learning: read on every lock operation
#include "LockOrderClassTables.h"  // per-class levels and flags, per-option levels
#include "LockOrderChainSet.h"     // the process-wide set of allowed chains
#include "LockOrderFastPath.h"     // the shared predicates and the fast-path calls
#include "LockOrderOSShims.h"      // symbols, modules, thread id and name, timed locks, cpu relax
#include "LockOrderRawLocks.h"     // the raw pthread lock calls, marked for Swift's optimizer
#include "LockOrderBypass.h"       // the pthread interposer's per-thread pass-through count
#include "LockOrderThreadCreation.h" // where each thread was created (the pthread_create wrapper)

#endif
