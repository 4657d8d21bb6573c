#include "sa/wal_syncer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flint::sa {

WalSyncer::WalSyncer(int wal_fd, std::function<int(int fd)> sync_wal)
    : wal_fd_(wal_fd), sync_wal_(std::move(sync_wal)), thread_([this] { SyncLoop(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();  // after a last sync of whatever was committed
  close(wal_fd_);
}

void WalSyncer::CommitWritten(uint64_t seq) {
  {
    std::lock_guard lock(mu_);
    written_seq_ = seq;
  }
  cv_.notify_one();
}

void WalSyncer::WhenDurable(uint64_t mark, std::function<void(bool durable)> done) {
  bool answer = true;
  {
    std::lock_guard lock(mu_);
    if (mark > durable_seq_) {
      if (!sync_failed_.load(std::memory_order_relaxed)) {
        waiters_.emplace_back(mark, std::move(done));
        return;
      }
      answer = false;
    }
  }
  done(answer);
}

void WalSyncer::SyncLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] {
      return stop_ ||
             (written_seq_ > durable_seq_ && !sync_failed_.load(std::memory_order_relaxed));
    });
    if (written_seq_ == durable_seq_ || sync_failed_.load(std::memory_order_relaxed)) break;
    const uint64_t target = written_seq_;
    lock.unlock();
    const bool ok = SyncWal();
    lock.lock();
    std::vector<std::pair<uint64_t, std::function<void(bool)>>> ready;
    if (ok) {
      durable_seq_ = target;
      auto pending = waiters_.begin();
      for (auto& w : waiters_) {
        if (w.first <= target) {
          ready.push_back(std::move(w));
        } else {
          *pending++ = std::move(w);
        }
      }
      waiters_.erase(pending, waiters_.end());
    } else {
      sync_failed_.store(true, std::memory_order_release);
      ready = std::move(waiters_);
      waiters_.clear();
    }
    lock.unlock();
    for (auto& w : ready) w.second(ok);
    lock.lock();
  }
  // Nothing is in flight at destruction, so no mark is left uncovered; answer any waiter anyway.
  std::vector<std::pair<uint64_t, std::function<void(bool)>>> left = std::move(waiters_);
  waiters_.clear();
  const uint64_t durable = durable_seq_;
  lock.unlock();
  for (auto& w : left) w.second(w.first <= durable);
}

bool WalSyncer::SyncWal() {
  int err = 0;
  if (sync_wal_) {
    err = sync_wal_(wal_fd_);
  } else {
    while (fdatasync(wal_fd_) != 0) {
      if (errno != EINTR) {
        err = errno;
        break;
      }
    }
  }
  if (err != 0) {
    spdlog::error("sqlite: syncing the WAL failed: {}; refusing further writes",
                  std::strerror(err));
    return false;
  }
  return true;
}

}  // namespace flint::sa
