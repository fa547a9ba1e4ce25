// The driver's side of locks::Mutex: each thread's locks, and the points where a scenario can
// step in (before and after each lock and unlock). The student's code never sees this file.
#pragma once

#include <vector>

#include "bank.hpp"

namespace watch {

// What one thread is doing, as far as the scenarios care.
struct Self {
    std::vector<const locks::Mutex*> held;  // the Mutexes it holds, in the order it took them
    bool in_call = false;                   // inside a call to the student's code
    bool injecting = false;                 // running a call a scenario slipped in
    int role = -1;                          // which thread of the scenario it is, if it matters
};
Self& self();

// A scenario's hooks. Each runs in the thread that locks or unlocks, outside the std::mutex call;
// try_lock() calls before_lock() too, and after_lock() when it succeeds.
class Schedule {
  public:
    virtual ~Schedule() = default;
    virtual void before_lock(const locks::Mutex*) {}
    virtual void after_lock(const locks::Mutex*) {}
    virtual void before_unlock(const locks::Mutex*) {}
    virtual void after_unlock(const locks::Mutex*) {}
};

// The schedule every Mutex calls from now on; nullptr for none. Set it before the threads start.
void use(Schedule* schedule);

}  // namespace watch
