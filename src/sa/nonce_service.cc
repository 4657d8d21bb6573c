#include "sa/nonce_service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <string>

namespace flint::sa {
namespace {

// Nonce ids: random for the shared service, a counter for the in-memory one. Sealed, a shared
// nonce is 40 bytes (54 base64url characters), an in-memory one 32 bytes (43).
constexpr size_t kRandomBytes = 16;
constexpr size_t kCounterBytes = 8;
constexpr size_t kExpiryBytes = 8;
constexpr size_t kMacBytes = 16;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: only the URL-safe alphabet, no padding, and unused trailing bits must be zero (so
// each byte string has exactly one accepted encoding).
std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = SextetOf(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// 8 bytes, big-endian: expiry seconds and counters.
std::string EncodeUint64(uint64_t v) {
  std::string out(kExpiryBytes, '\0');
  for (size_t i = 0; i < kExpiryBytes; ++i) {
    out[kExpiryBytes - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeUint64(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

std::string EncodeExpiry(core::TimePoint t) {
  return EncodeUint64(static_cast<uint64_t>(core::ToUnixSeconds(t)));
}

core::TimePoint DecodeExpiry(std::string_view bytes) {
  return core::FromUnixSeconds(static_cast<int64_t>(DecodeUint64(bytes)));
}

core::Error BadNonce(std::string detail) {
  return core::Err(core::ErrorType::kBadNonce, std::move(detail));
}

}  // namespace

NonceMac::NonceMac(std::string_view key) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  keyed_ = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
  EVP_MAC_free(hmac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  if (keyed_ == nullptr ||
      EVP_MAC_init(keyed_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    // Without a MAC no nonce could ever be checked; this is a broken OpenSSL installation.
    std::abort();
  }
}

NonceMac::~NonceMac() { EVP_MAC_CTX_free(keyed_); }

std::optional<std::string> NonceMac::Compute(std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  size_t md_len = 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  bool ok = ctx != nullptr &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1 &&
            EVP_MAC_final(ctx, md.data(), &md_len, md.size()) == 1 && md_len >= kMacBytes;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(md.data()), kMacBytes);
}

std::string NonceMac::Seal(std::string id, core::TimePoint expires) const {
  id += EncodeExpiry(expires);
  id += Compute(id).value_or(std::string(kMacBytes, '\0'));
  return Base64UrlEncode(id);
}

Result<NonceMac::Opened> NonceMac::Open(std::string_view nonce, size_t id_bytes,
                                        std::string_view not_ours) const {
  const size_t signed_bytes = id_bytes + kExpiryBytes;
  const size_t nonce_bytes = signed_bytes + kMacBytes;
  if (nonce.size() != (nonce_bytes * 8 + 5) / 6) return BadNonce("nonce has the wrong length");
  std::optional<std::string> raw = Base64UrlDecode(nonce);
  if (!raw || raw->size() != nonce_bytes) return BadNonce("nonce is not valid base64url");
  std::string_view bytes(*raw);
  std::optional<std::string> expected = Compute(bytes.substr(0, signed_bytes));
  if (!expected || CRYPTO_memcmp(expected->data(), bytes.data() + signed_bytes, kMacBytes) != 0) {
    return BadNonce(std::string(not_ours));
  }
  return Opened{std::string(bytes.substr(0, id_bytes)),
                DecodeExpiry(bytes.substr(id_bytes, kExpiryBytes))};
}

SqlNonceService::SqlNonceService(NonceStore& store, core::Random& random, const core::Clock& clock,
                                 std::chrono::seconds lifetime, int prune_every)
    : store_(store),
      mac_(store.NonceSecret()),
      random_(random),
      clock_(clock),
      lifetime_(lifetime),
      prune_every_(prune_every > 0 ? static_cast<uint64_t>(prune_every) : 1) {}

std::string SqlNonceService::Issue() {
  return mac_.Seal(random_.Bytes(kRandomBytes), clock_.Now() + lifetime_);
}

Result<void> SqlNonceService::Redeem(std::string_view nonce) {
  FLINT_ASSIGN_OR_RETURN(NonceMac::Opened opened,
                         mac_.Open(nonce, kRandomBytes, "nonce was not issued by this server"));
  core::TimePoint now = clock_.Now();
  if (now >= opened.expires) return BadNonce("nonce has expired");

  Result<void> recorded = store_.RecordNonceRedemption(opened.id, opened.expires);
  if (!recorded.ok()) {
    if (recorded.error().type == core::ErrorType::kConflict) {
      return BadNonce("nonce was already used");
    }
    return recorded;
  }
  if (++redemptions_ % prune_every_ == 0) {
    // Best effort: a failed prune only leaves rows for the next one.
    (void)store_.PruneRedeemedNonces(now - kPruneGrace);
  }
  return core::Ok();
}

// --- MemoryNonceService ---

MemoryNonceService::MemoryNonceService(core::Random& random, const core::Clock& clock,
                                       std::chrono::seconds lifetime, uint64_t window)
    : clock_(clock),
      lifetime_(lifetime),
      mac_(random.Bytes(32)),
      unused_((std::max<uint64_t>(window, 64) + 63) / 64, 0) {}

std::string MemoryNonceService::Issue() {
  const uint64_t window = unused_.size() * 64;
  uint64_t counter = 0;
  {
    std::lock_guard lock(mu_);
    counter = next_++;
    unused_[(counter % window) / 64] |= uint64_t{1} << (counter % 64);
  }
  return mac_.Seal(EncodeUint64(counter), clock_.Now() + lifetime_);
}

Result<void> MemoryNonceService::Redeem(std::string_view nonce) {
  FLINT_ASSIGN_OR_RETURN(
      NonceMac::Opened opened,
      mac_.Open(nonce, kCounterBytes,
                "nonce was not issued by this server (or before its last restart)"));
  const uint64_t counter = DecodeUint64(opened.id);
  if (clock_.Now() >= opened.expires) return BadNonce("nonce has expired");

  const uint64_t window = unused_.size() * 64;
  std::lock_guard lock(mu_);
  // A valid MAC means this object issued `counter`, so counter < next_.
  if (counter >= next_ || next_ - counter > window) {
    return BadNonce("nonce is too old; use a fresh one");
  }
  uint64_t& word = unused_[(counter % window) / 64];
  const uint64_t bit = uint64_t{1} << (counter % 64);
  if ((word & bit) == 0) return BadNonce("nonce was already used");
  word &= ~bit;
  return core::Ok();
}

}  // namespace flint::sa
