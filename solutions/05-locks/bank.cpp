// Lesson 05-locks: shared state without lost updates.
//
// A Counter and a Bank that many threads use at once. Their contract is in bank.hpp;
// lessons/05-locks/README.md explains it: why ++ is three steps, std::mutex and its guards, why a
// check and the action it allows must happen under the same lock, and two ways to lock two
// accounts without a deadlock.
//
// Check your work:   ./workbook test 05        Stuck?   ./workbook hint 05
#include "bank.hpp"

#include <vector>

namespace locks {

// ---- part 1: the counter ---------------------------------------------------------------------

void Counter::increment() {
    // ++value_ is three steps (read, add, write): another thread may write between our read and
    // our write, and then one of the two increments is lost. The lock makes the three one step.
    std::lock_guard lock(mutex_);
    ++value_;
}

long Counter::value() const {
    // Even a read needs the lock: without it, it races with the writes of increment().
    std::lock_guard lock(mutex_);
    return value_;
}

// ---- part 2: the bank ------------------------------------------------------------------------

Bank::Bank(const std::vector<long>& balances) : accounts_(balances.size()) {
    for (std::size_t i = 0; i < balances.size(); ++i) accounts_[i].balance = balances[i];
}

std::size_t Bank::size() const {
    return accounts_.size();
}

long Bank::balance(std::size_t account) const {
    const Account& a = accounts_[account];
    std::lock_guard lock(a.mutex);
    return a.balance;
}

bool Bank::transfer(std::size_t from, std::size_t to, long amount) {
    // Refused before locking: locking one mutex twice (even with scoped_lock) waits forever.
    if (from == to || amount <= 0) return false;
    Account& source = accounts_[from];
    Account& target = accounts_[to];
    // Both accounts at once: scoped_lock takes the two mutexes without a deadlock, whatever order
    // another thread asks for them in (a transfer the other way, at the same time).
    std::scoped_lock lock(source.mutex, target.mutex);
    // The check and the move under the same lock: nobody can take the money in between.
    if (source.balance < amount) return false;
    source.balance -= amount;
    target.balance += amount;
    return true;
}

long Bank::total() const {
    // Every account locked at once, in the order of their numbers, before reading any: no
    // transfer can run while we add, so no money is counted twice or missed.
    std::vector<std::unique_lock<Mutex>> locked;
    locked.reserve(accounts_.size());
    for (const Account& a : accounts_) locked.emplace_back(a.mutex);
    long sum = 0;
    for (const Account& a : accounts_) sum += a.balance;
    return sum;
}

}  // namespace locks
