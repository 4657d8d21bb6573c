#pragma once
// Shared pieces of the ACME web front end: the services a handler may use, the authenticated
// request a handler receives, and the reply it returns. One handler per resource lives in
// handlers/; the router (wfe.cc) does authentication and rendering for all of them.

#include <boost/json/value.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/types.h"
#include "jose/jws.h"
#include "ra/ra.h"
#include "sa/store.h"
#include "wfe/http_types.h"

namespace flint::wfe {

struct WfeOptions {
  std::string base_url;  // "https://localhost:14000", no trailing slash
  std::string terms_of_service;
  std::string website;
  std::vector<std::string> caa_identities;
  bool external_account_required = false;
  std::string issuer_pem;  // the intermediate certificate, served at Urls::Issuer()
  // RFC 8555 §7.4.2 alternate chains: for each alternate hierarchy, what follows the leaf
  // (the intermediate's cross-certificate first). Certificate(id) + "/K" serves the leaf with
  // alternate_chains_pem[K-1], and every chain links to the others with rel="alternate".
  std::vector<std::string> alternate_chains_pem;
  // Retry-After (seconds) on an order being finalized, and on an authorization or challenge
  // being validated (RFC 8555 §7.4, §8.2); `flint pebble` takes Pebble's "retryAfter".
  int order_retry_after_seconds = 1;
  int authz_retry_after_seconds = 1;
  // Orders per page of an account's orders list (RFC 8555 §7.1.2.1, Link rel="next");
  // `flint pebble` uses Pebble's PEBBLE_WFE_ORDERS_PER_PAGE (default 3).
  int orders_page_size = 100;
  // Another path answering like /directory (`flint pebble` serves Pebble's "/dir"); empty: none.
  std::string directory_alias;
};

// The URL scheme of flint's resources, relative to base_url.
struct Urls {
  std::string base;
  std::string Directory() const { return base + "/directory"; }
  std::string NewNonce() const { return base + "/acme/new-nonce"; }
  std::string NewAccount() const { return base + "/acme/new-acct"; }
  std::string NewOrder() const { return base + "/acme/new-order"; }
  std::string NewAuthz() const { return base + "/acme/new-authz"; }
  std::string RevokeCert() const { return base + "/acme/revoke-cert"; }
  std::string KeyChange() const { return base + "/acme/key-change"; }
  std::string Issuer() const { return base + "/acme/issuer"; }
  // RFC 9773 §3: renewalInfo; a certificate's resource is RenewalInfo() + "/" + CertID.
  std::string RenewalInfo() const { return base + "/acme/renewal-info"; }
  std::string Account(core::AccountId id) const {
    return base + "/acme/acct/" + std::to_string(id.value);
  }
  std::string AccountOrders(core::AccountId id) const { return Account(id) + "/orders"; }
  std::string Order(core::OrderId id) const {
    return base + "/acme/order/" + std::to_string(id.value);
  }
  std::string Finalize(core::OrderId id) const { return Order(id) + "/finalize"; }
  std::string Authz(core::AuthzId id) const {
    return base + "/acme/authz/" + std::to_string(id.value);
  }
  std::string Challenge(core::ChallengeId id) const {
    return base + "/acme/chall/" + std::to_string(id.value);
  }
  std::string Certificate(core::CertificateId id) const {
    return base + "/acme/cert/" + std::to_string(id.value);
  }
};

// Parsed public keys by their canonical JWK, so an account's key is imported once, not per
// request (an EC key import costs as much as a verification). Bounded, since every new key a
// client presents adds an entry: an OpenSSL key with its entry takes about 2.7 KB, so the cache
// stays under ~11 MiB (with 50000 entries, a run creating an account per certificate took
// flint's RSS to 155 MiB). Thread-safe.
class KeyCache {
 public:
  static constexpr size_t kMaxEntries = 4096;

  core::Result<jose::PublicKey> Get(const std::string& jwk_json);
  size_t size();

 private:
  std::mutex mu_;
  std::unordered_map<std::string, jose::PublicKey> keys_;  // guarded by mu_
};

struct Services {
  WfeOptions options;
  Urls urls;
  ra::RegistrationAuthority& ra;
  sa::StoreReader& store;
  sa::NonceService& nonces;
  const core::Clock& clock;
  KeyCache keys;
  std::string directory_json;  // handlers::DirectoryJson, rendered at construction
};

// A POST whose JWS has been parsed, its signature verified against `key`, and its nonce redeemed.
struct AuthedPost {
  const HttpRequest& http;
  jose::Jws jws;
  jose::PublicKey key;
  std::optional<core::Account> account;  // set for kid-authenticated requests
  boost::json::value payload;             // null for POST-as-GET (empty payload)
  bool post_as_get() const { return jws.post_as_get(); }
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string location;
  std::vector<std::string> links;  // complete Link header values
  std::optional<int> retry_after_seconds;
};

// Helpers for handlers.
Reply JsonReply(int status, const boost::json::value& body);
// Takes a JSON payload member: kMalformed if present with the wrong type.
core::Result<std::optional<std::string>> OptionalString(const boost::json::value& payload,
                                                        std::string_view key);
core::Result<std::optional<bool>> OptionalBool(const boost::json::value& payload,
                                               std::string_view key);
core::Result<std::optional<std::vector<std::string>>> OptionalStringArray(
    const boost::json::value& payload, std::string_view key);
// Parses the decimal id at the end of `path` after `prefix` ("/acme/order/" + "17").
std::optional<int64_t> ParseId(std::string_view text);

}  // namespace flint::wfe
