// Lesson 05-locks: shared state without lost updates.
//
// A Counter and a Bank that many threads use at once. Their contract is in bank.hpp;
// lessons/05-locks/README.md explains it: why ++ is three steps, std::mutex and its guards, why a
// check and the action it allows must happen under the same lock, and two ways to lock two
// accounts without a deadlock. In starter/ each function you write is a TODO.
//
// Check your work:   ./workbook test 05        Stuck?   ./workbook hint 05
#include "bank.hpp"

#include <stdexcept>
#include <vector>

namespace locks {

// ---- part 1: the counter ---------------------------------------------------------------------

void Counter::increment() {
    // TODO: add 1 to value_ so that no other thread's increment is lost. ++value_ is three steps
    // (read, add, write): hold mutex_ during all three. A std::lock_guard locks it where it is
    // made and unlocks it at the closing brace.
    // Then delete the line below.
    throw std::logic_error(
        "TODO: Counter::increment is not written yet (starter/05-locks/bank.cpp)");
}

long Counter::value() const {
    // TODO: return value_, read under mutex_ too: other threads may be writing it right now.
    // Then delete the line below.
    throw std::logic_error("TODO: Counter::value is not written yet (starter/05-locks/bank.cpp)");
}

// ---- part 2: the bank ------------------------------------------------------------------------

Bank::Bank(const std::vector<long>& balances) : accounts_(balances.size()) {
    // An Account holds a mutex, which can be neither copied nor moved: so the vector makes
    // balances.size() accounts in place, and we set their balances one by one.
    for (std::size_t i = 0; i < balances.size(); ++i) accounts_[i].balance = balances[i];
}

std::size_t Bank::size() const {
    return accounts_.size();
}

long Bank::balance(std::size_t account) const {
    // TODO: return accounts_[account].balance, read while holding that account's mutex.
    // Then delete the two lines below.
    static_cast<void>(account);
    throw std::logic_error("TODO: Bank::balance is not written yet (starter/05-locks/bank.cpp)");
}

bool Bank::transfer(std::size_t from, std::size_t to, long amount) {
    // TODO: move `amount` from account `from` to account `to`, as one indivisible step.
    //   - Refuse (return false, before locking anything) when from == to or amount <= 0: locking
    //     the same mutex twice waits for ever.
    //   - Lock both accounts' mutexes in a way that cannot deadlock when another thread transfers
    //     the other way at the same time: one std::scoped_lock over both mutexes at once, or
    //     always the account with the smaller number first.
    //   - Then, under those locks, check the balance (refuse if it would go below 0) and move
    //     the money. A check made before locking is already stale when you act on it.
    // Then delete the two lines below.
    static_cast<void>(from), static_cast<void>(to), static_cast<void>(amount);
    throw std::logic_error("TODO: Bank::transfer is not written yet (starter/05-locks/bank.cpp)");
}

long Bank::total() const {
    // TODO: return the sum of every balance at one instant. Lock every account first (in the
    // order of their numbers, as a transfer would), then add, then unlock them all: a vector of
    // std::unique_lock<Mutex> holds any number of locks and unlocks them when it goes away.
    // Then delete the line below.
    throw std::logic_error("TODO: Bank::total is not written yet (starter/05-locks/bank.cpp)");
}

}  // namespace locks
