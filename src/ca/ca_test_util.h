#pragma once
// Test helpers for the ca module: throwaway directories, chain verification, CSR building and
// deterministic Random fakes. Test-only; not part of flint_ca.

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "ca/openssl_util.h"
#include "ca/x509_ext.h"
#include "core/clock.h"
#include "core/random.h"

namespace flint::ca::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::temp_directory_path().string() + "/flint-ca-test-XXXXXX";
    if (mkdtemp(base.data()) != nullptr) path_ = base;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// X509_verify_cert of `leaf` against trusted `root` with `intermediate` as untrusted chain, at
// time `at`, for `purpose` (X509_PURPOSE_*), with RFC 5280 strict checks. Returns the
// X509_V_* result (X509_V_OK on success).
inline int VerifyChain(X509* leaf, X509* root, X509* intermediate, core::TimePoint at,
                       int purpose = X509_PURPOSE_SSL_SERVER) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, intermediate);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, untrusted);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(core::ToUnixSeconds(at)));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int rc = X509_verify_cert(ctx);
  int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  if (rc == 1 && err != X509_V_OK) err = X509_V_OK;
  if (rc != 1 && err == X509_V_OK) err = X509_V_ERR_UNSPECIFIED;
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  ERR_clear_error();
  return err;
}

inline UniqueX509 ParseDerCert(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return UniqueX509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

inline UniquePkey NewRsaKey(unsigned bits = 2048) {
  return UniquePkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

// What goes into a test CSR.
struct CsrSpec {
  std::vector<std::string> common_names;  // each added as a separate CN
  std::vector<GENERAL_NAME*> san;         // owned by the spec until MakeCsrDer consumes it
  const EVP_MD* md = EVP_sha256();
};

// Builds, signs with `key` and DER-encodes a PKCS#10 request. Consumes spec.san.
inline std::string MakeCsrDer(EVP_PKEY* key, CsrSpec spec) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, X509_REQ_VERSION_1);
  X509_NAME* name = X509_REQ_get_subject_name(req);
  for (const std::string& cn : spec.common_names) {
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.data()),
                               static_cast<int>(cn.size()), -1, 0);
  }
  X509_REQ_set_pubkey(req, key);
  if (!spec.san.empty()) {
    GENERAL_NAMES* gens = GENERAL_NAMES_new();
    for (GENERAL_NAME* gn : spec.san) sk_GENERAL_NAME_push(gens, gn);
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, gens));
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
  }
  X509_REQ_sign(req, key, spec.md);
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  X509_REQ_free(req);
  return out;
}

// Returns the given bytes in turn (cycling), then repeats the last one. Thread-safe.
class ScriptedRandom final : public core::Random {
 public:
  explicit ScriptedRandom(std::vector<unsigned char> fills) : fills_(std::move(fills)) {}
  std::string Bytes(size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    unsigned char fill = fills_[std::min(next_, fills_.size() - 1)];
    ++next_;
    return std::string(n, static_cast<char>(fill));
  }

 private:
  std::mutex mu_;
  std::vector<unsigned char> fills_;
  size_t next_ = 0;
};

// GENERAL_NAMES of a certificate's SAN as "DNS:x" / "IP:x" / "OTHER" strings, in order.
inline std::vector<std::string> SanStrings(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    int type = 0;
    const auto* v = static_cast<const ASN1_STRING*>(
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, i), &type));
    std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                      static_cast<size_t>(ASN1_STRING_length(v)));
    if (type == GEN_DNS) {
      out.push_back("DNS:" + bytes);
    } else if (type == GEN_IPADD) {
      out.push_back("IP:" + IpBytesToText(bytes));
    } else {
      out.push_back("OTHER");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// The subject CN, or "" if there is none.
inline std::string SubjectCn(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// -1 if the extension is absent, else its critical flag (0/1).
inline int ExtCritical(X509* cert, int nid) {
  int idx = X509_get_ext_by_NID(cert, nid, -1);
  if (idx < 0) return -1;
  return X509_EXTENSION_get_critical(X509_get_ext(cert, idx));
}

}  // namespace flint::ca::testing
