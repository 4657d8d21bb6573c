// SqlNonceService (RFC 8555 §6.5) over every backend in store_test_backends.cc, and the
// in-process MemoryNonceService.

#include "sa/nonce_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "core/random.h"
#include "sa/store_test_backends.h"
#include "sa/store_test_fixture.h"
#include "sa/test_util.h"

namespace flint::sa {
namespace {

using namespace std::chrono_literals;
using core::ErrorType;
using testing::Backend;
using testing::Must;

class NonceServiceTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    service_ = std::make_unique<SqlNonceService>(*handle_.nonces, random_, clock_);
  }

  core::SecureRandom random_;
  std::unique_ptr<SqlNonceService> service_;
};

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Replaces the character at `i` with a different base64url character.
std::string Flip(std::string s, size_t i) {
  s[i] = s[i] == 'A' ? 'B' : 'A';
  return s;
}

// Every named nonce in `cases` is refused with badNonce.
void ExpectAllRefused(NonceService& service,
                      const std::vector<std::pair<std::string, std::string>>& cases) {
  for (const auto& [name, nonce] : cases) {
    SCOPED_TRACE(name);
    EXPECT_ERROR_TYPE(service.Redeem(nonce), ErrorType::kBadNonce);
  }
}

TEST_P(NonceServiceTest, IssuedNonceRedeemsExactlyOnce) {
  std::string nonce = service_->Issue();
  EXPECT_EQ(nonce.size(), 54u);  // 40 bytes, unpadded base64url
  EXPECT_EQ(nonce.find_first_not_of(kAlphabet), std::string::npos);
  Must(service_->Redeem(nonce));
  EXPECT_ERROR_TYPE(service_->Redeem(nonce), ErrorType::kBadNonce);
}

TEST_P(NonceServiceTest, IssuedNoncesAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(service_->Issue()).second);
}

TEST_P(NonceServiceTest, MalformedOrForgedNoncesAreRejected) {
  const std::string good = service_->Issue();
  // The last of 54 characters carries 2 data bits and 4 bits that must be zero; setting the
  // lowest one gives another spelling of the same bytes, which strict decoding refuses.
  std::string non_canonical = good;
  non_canonical.back() = kAlphabet[kAlphabet.find(good.back()) | 1];
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fail/empty", ""},
      {"fail/truncated", good.substr(0, good.size() - 1)},
      {"fail/truncated-to-random", good.substr(0, 22)},
      {"fail/extra-char", good + "A"},
      {"fail/padded", good.substr(0, 52) + "=="},
      {"fail/standard-alphabet", good.substr(0, 53) + "+"},
      {"fail/space", good.substr(0, 53) + " "},
      {"fail/random-part-changed", Flip(good, 0)},
      {"fail/expiry-changed", Flip(good, 25)},
      {"fail/mac-changed", Flip(good, 40)},
      {"fail/non-canonical-tail", non_canonical},
      {"fail/all-zero", std::string(54, 'A')},
  };
  ExpectAllRefused(*service_, cases);
  Must(service_->Redeem(good));  // none of the forgeries consumed it
}

TEST_P(NonceServiceTest, NonceFromAnotherDatabaseIsRejected) {
  std::unique_ptr<testing::TestDatabase> other_db = GetParam().create();
  testing::StoreHandle other = Must(other_db->Open(clock_));
  SqlNonceService foreign(*other.nonces, random_, clock_);
  EXPECT_ERROR_TYPE(service_->Redeem(foreign.Issue()), ErrorType::kBadNonce);
}

TEST_P(NonceServiceTest, NonceExpiresAfterItsLifetime) {
  SqlNonceService short_lived(*handle_.nonces, random_, clock_, 10min);
  std::string fresh = short_lived.Issue();
  std::string stale = short_lived.Issue();
  clock_.Advance(10min - 1s);
  Must(short_lived.Redeem(fresh));
  clock_.Advance(1s);
  EXPECT_ERROR_TYPE(short_lived.Redeem(stale), ErrorType::kBadNonce);

  std::string default_lifetime = service_->Issue();
  clock_.Advance(SqlNonceService::kDefaultLifetime);
  EXPECT_ERROR_TYPE(service_->Redeem(default_lifetime), ErrorType::kBadNonce);
}

TEST_P(NonceServiceTest, InstancesSharingADatabaseRedeemEachOthersNoncesOnce) {
  testing::StoreHandle second = Must(db_->Open(clock_));
  SqlNonceService other(*second.nonces, random_, clock_);
  EXPECT_EQ(second.nonces->NonceSecret(), handle_.nonces->NonceSecret());

  std::string from_first = service_->Issue();
  std::string from_second = other.Issue();
  Must(other.Redeem(from_first));
  EXPECT_ERROR_TYPE(service_->Redeem(from_first), ErrorType::kBadNonce);
  EXPECT_ERROR_TYPE(other.Redeem(from_first), ErrorType::kBadNonce);
  Must(service_->Redeem(from_second));
  EXPECT_ERROR_TYPE(other.Redeem(from_second), ErrorType::kBadNonce);
}

TEST_P(NonceServiceTest, ConcurrentRedemptionsAcrossInstancesHaveExactlyOneWinner) {
  std::vector<testing::StoreHandle> handles;
  std::vector<std::unique_ptr<SqlNonceService>> services;
  for (int i = 0; i < 4; ++i) {
    handles.push_back(Must(db_->Open(clock_)));
    services.push_back(std::make_unique<SqlNonceService>(*handles.back().nonces, random_, clock_));
  }
  std::string nonce = service_->Issue();
  std::atomic<int> wins{0};
  std::atomic<int> bad_nonce{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      core::Result<void> r = services[i % 4]->Redeem(nonce);
      if (r.ok()) {
        ++wins;
      } else if (r.error().type == ErrorType::kBadNonce) {
        ++bad_nonce;
      }
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(bad_nonce.load(), 7);
}

TEST_P(NonceServiceTest, PruningForgetsOnlyExpiredRedemptions) {
  NonceStore& nonces = *handle_.nonces;
  const core::TimePoint expires = clock_.Now() + 1h;
  Must(nonces.RecordNonceRedemption("id-1", expires));
  EXPECT_ERROR_TYPE(nonces.RecordNonceRedemption("id-1", expires), ErrorType::kConflict);
  Must(nonces.PruneRedeemedNonces(expires));  // not yet expired before the cutoff
  EXPECT_ERROR_TYPE(nonces.RecordNonceRedemption("id-1", expires), ErrorType::kConflict);
  Must(nonces.PruneRedeemedNonces(expires + 1s));
  Must(nonces.RecordNonceRedemption("id-1", expires));
}

TEST_P(NonceServiceTest, PeriodicPruningNeverReadmitsALiveNonce) {
  SqlNonceService svc(*handle_.nonces, random_, clock_, 1h, /*prune_every=*/10);
  std::string kept = svc.Issue();
  Must(svc.Redeem(kept));
  clock_.Advance(59min);  // prunes below use cutoff now - kPruneGrace, well before kept expires
  for (int i = 0; i < 25; ++i) Must(svc.Redeem(svc.Issue()));
  EXPECT_ERROR_TYPE(svc.Redeem(kept), ErrorType::kBadNonce);
}

INSTANTIATE_TEST_SUITE_P(Backends, NonceServiceTest, ::testing::ValuesIn(testing::AllBackends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

// --- MemoryNonceService ---

class MemoryNonceServiceTest : public ::testing::Test {
 protected:
  core::FakeClock clock_;
  core::SecureRandom random_;
  MemoryNonceService service_{random_, clock_};
};

TEST_F(MemoryNonceServiceTest, IssuedNonceRedeemsExactlyOnce) {
  std::string nonce = service_.Issue();
  EXPECT_EQ(nonce.size(), 43u);  // 32 bytes, unpadded base64url
  EXPECT_EQ(nonce.find_first_not_of(kAlphabet), std::string::npos);
  Must(service_.Redeem(nonce));
  EXPECT_ERROR_TYPE(service_.Redeem(nonce), ErrorType::kBadNonce);
}

TEST_F(MemoryNonceServiceTest, NoncesRedeemInAnyOrder) {
  std::vector<std::string> nonces;
  for (int i = 0; i < 200; ++i) nonces.push_back(service_.Issue());
  EXPECT_EQ(std::set<std::string>(nonces.begin(), nonces.end()).size(), nonces.size());
  for (size_t i = nonces.size(); i-- > 0;) Must(service_.Redeem(nonces[i]));
  for (const std::string& n : nonces) EXPECT_ERROR_TYPE(service_.Redeem(n), ErrorType::kBadNonce);
}

TEST_F(MemoryNonceServiceTest, MalformedOrForgedNoncesAreRejected) {
  const std::string good = service_.Issue();
  std::string non_canonical = good;  // the last character carries 4 bits that must be zero
  non_canonical.back() = kAlphabet[kAlphabet.find(good.back()) | 1];
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fail/empty", ""},
      {"fail/truncated", good.substr(0, good.size() - 1)},
      {"fail/extra-char", good + "A"},
      {"fail/standard-alphabet", good.substr(0, 42) + "+"},
      {"fail/counter-changed", Flip(good, 0)},
      {"fail/expiry-changed", Flip(good, 15)},
      {"fail/mac-changed", Flip(good, 30)},
      {"fail/non-canonical-tail", non_canonical},
      {"fail/all-zero", std::string(43, 'A')},
      {"fail/shared-format", std::string(54, 'A')},
  };
  ExpectAllRefused(service_, cases);
  Must(service_.Redeem(good));  // none of the forgeries consumed it
}

TEST_F(MemoryNonceServiceTest, NonceOfAnotherProcessOrAnEarlierRunIsRejected) {
  MemoryNonceService other(random_, clock_);  // a fresh key, as after a restart
  EXPECT_ERROR_TYPE(service_.Redeem(other.Issue()), ErrorType::kBadNonce);
  EXPECT_ERROR_TYPE(other.Redeem(service_.Issue()), ErrorType::kBadNonce);
}

TEST_F(MemoryNonceServiceTest, NonceExpiresAfterItsLifetime) {
  MemoryNonceService short_lived(random_, clock_, 10min);
  std::string fresh = short_lived.Issue();
  std::string stale = short_lived.Issue();
  clock_.Advance(10min - 1s);
  Must(short_lived.Redeem(fresh));
  clock_.Advance(1s);
  EXPECT_ERROR_TYPE(short_lived.Redeem(stale), ErrorType::kBadNonce);
}

TEST_F(MemoryNonceServiceTest, NonceOlderThanTheWindowIsStale) {
  MemoryNonceService small(random_, clock_, 1h, /*window=*/64);
  std::string oldest = small.Issue();
  std::string second = small.Issue();
  for (int i = 0; i < 63; ++i) small.Issue();  // 65 issued: `oldest` left the window
  EXPECT_ERROR_TYPE(small.Redeem(oldest), ErrorType::kBadNonce);
  Must(small.Redeem(second));  // exactly 64 back: still inside
  // The slot `oldest` shared with the 65th nonce belongs to that nonce now.
  std::string newest = small.Issue();
  Must(small.Redeem(newest));
}

TEST_F(MemoryNonceServiceTest, ConcurrentRedemptionsHaveExactlyOneWinner) {
  std::vector<std::string> nonces;
  for (int i = 0; i < 500; ++i) nonces.push_back(service_.Issue());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const std::string& n : nonces) {
        if (service_.Redeem(n).ok()) ++wins;
        service_.Issue();  // issuing concurrently moves the window without disturbing it
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 500);
}

}  // namespace
}  // namespace flint::sa
