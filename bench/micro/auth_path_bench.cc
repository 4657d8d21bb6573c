// Google Benchmark of flint's authenticated-request path (issue 2): a kid-signed POST-as-GET to
// the account URL through WebFrontEnd::Handle — JWS parse, account lookup (SQLite), cached key,
// ES256 verification, nonce redemption (SQLite write), handler and rendering — next to one bare
// ES256 verification with a pre-imported key, the floor that path cannot go below.
//
//   build/bench/micro/auth_path_bench            (compare with `openssl speed ecdsap256`)
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>

#include "ca/ca_files.h"
#include "cmd/ca_authority.h"
#include "core/json.h"
#include "jose/signer.h"
#include "policy/identifier_policy.h"
#include "sa/nonce_service.h"
#include "sa/sqlite_store.h"
#include "wfe/wfe.h"

namespace flint {
namespace {

namespace json = boost::json;
constexpr const char* kBase = "https://acme.test";

// The whole pipeline on a temp dir, as `flint serve --skip-validation` wires it.
struct Pipeline {
  core::SystemClock clock;
  core::SecureRandom random;
  std::string dir;
  std::unique_ptr<sa::SqliteStore> store;
  std::unique_ptr<sa::NonceService> nonces;  // per-process, as `flint serve` has by default
  std::unique_ptr<cmd::LocalCertificateAuthority> authority;
  std::unique_ptr<policy::IdentifierPolicy> policy;
  ra::SkipValidator validator;
  std::unique_ptr<ra::RegistrationAuthority> ra;
  std::unique_ptr<wfe::WebFrontEnd> wfe;
  jose::KeyPair key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  std::string account_url;

  Pipeline() {
    char tmpl[] = "/tmp/flint-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    store = std::move(sa::SqliteStore::Open(dir + "/flint.db", clock)).value();
    nonces = std::make_unique<sa::MemoryNonceService>(random, clock);
    auto material = ca::LoadOrCreateCa(dir + "/ca", {}, clock, random);
    authority = std::make_unique<cmd::LocalCertificateAuthority>(*material, random);
    policy = std::make_unique<policy::IdentifierPolicy>(policy::IdentifierPolicyOptions{});
    ra::RaOptions ro;
    ra = std::make_unique<ra::RegistrationAuthority>(ro, *store, clock, random, *policy, validator,
                                                     *authority);
    wfe::WfeOptions wo;
    wo.base_url = kBase;
    wfe = std::make_unique<wfe::WebFrontEnd>(wo, *ra, *store, *nonces, clock);
    wfe::HttpRequest req = Signed("/acme/new-acct", R"({"termsOfServiceAgreed":true})", true);
    wfe::HttpResponse resp = wfe->Handle(req);
    for (auto& [k, v] : resp.headers)
      if (k == "Location") account_url = v;
  }
  ~Pipeline() {
    wfe.reset();
    ra.reset();
    nonces.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  wfe::HttpRequest Signed(const std::string& path, const std::string& payload, bool jwk) {
    json::object h;
    h["alg"] = "ES256";
    h["nonce"] = nonces->Issue();
    h["url"] = std::string(kBase) + path;
    if (jwk) {
      h["jwk"] = *core::ParseStrictJson(key.public_key().canonical_json());
    } else {
      h["kid"] = account_url;
    }
    wfe::HttpRequest r;
    r.method = "POST";
    r.target = r.path = path;
    r.headers = {{"host", "acme.test"}, {"content-type", "application/jose+json"}};
    r.body = key.SignFlattened(json::serialize(h), payload);
    return r;
  }
};

void BM_AuthenticatedPostAsGet(benchmark::State& state) {
  static Pipeline p;
  const std::string path = p.account_url.substr(std::strlen(kBase));
  for (auto _ : state) {
    state.PauseTiming();
    wfe::HttpRequest req = p.Signed(path, "", false);
    state.ResumeTiming();
    wfe::HttpResponse resp = p.wfe->Handle(req);
    if (resp.status != 200) state.SkipWithError("request failed");
    benchmark::DoNotOptimize(resp);
  }
}
BENCHMARK(BM_AuthenticatedPostAsGet)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

void BM_BareEs256Verify(benchmark::State& state) {
  jose::KeyPair key = jose::KeyPair::Generate(jose::Algorithm::kES256);
  const std::string input = "eyJhbGciOiJFUzI1NiJ9.e30";
  // A DER signature for EVP_DigestVerify, as `openssl speed` measures it.
  EVP_MD_CTX* sctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(sctx, nullptr, EVP_sha256(), nullptr, key.pkey());
  EVP_DigestSign(sctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(sctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(sctx);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.public_key().pkey());
    int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_BareEs256Verify)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace flint

BENCHMARK_MAIN();
