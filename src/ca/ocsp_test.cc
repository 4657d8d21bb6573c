#include "ca/ocsp.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <chrono>
#include <map>

#include "ca/openssl_util.h"
#include "ca/status_test_fixture.h"

namespace flint::ca {
namespace {

using namespace std::chrono_literals;

struct RequestSpec {
  std::vector<X509*> leaves;
  const EVP_MD* md = EVP_sha1();
  int nonce_bytes = 0;  // 0: no nonce
  X509* issuer = nullptr;  // default: the test CA's intermediate
};

RequestSpec Spec(std::vector<X509*> leaves) {
  RequestSpec spec;
  spec.leaves = std::move(leaves);
  return spec;
}

// A parsed answer: the response status and, when successful, the verified basic response.
struct Parsed {
  int response_status = -1;
  OCSP_BASICRESP* basic = nullptr;
  ~Parsed() { OCSP_BASICRESP_free(basic); }
};

class OcspTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new testing::StatusTestCa();
    other_ca_ = new testing::StatusTestCa();
  }
  static void TearDownTestSuite() {
    delete other_ca_;
    delete ca_;
  }

  OcspResponder Responder(OcspOptions options = {}) const {
    return OcspResponder(ca_->signer(), ca_->material().intermediate_cert, options);
  }
  static std::string Serial(X509* cert) { return SerialToHex(X509_get0_serialNumber(cert)).value(); }

  // Builds the DER request; keeps the OCSP_REQUEST for nonce checks.
  std::string Request(const RequestSpec& spec) {
    OCSP_REQUEST_free(last_request_);
    last_request_ = OCSP_REQUEST_new();
    for (X509* leaf : spec.leaves) {
      OCSP_CERTID* id =
          OCSP_cert_to_id(spec.md, leaf, spec.issuer ? spec.issuer : ca_->intermediate());
      ids_.push_back(OCSP_CERTID_dup(id));
      OCSP_request_add0_id(last_request_, id);
    }
    if (spec.nonce_bytes > 0) OCSP_request_add1_nonce(last_request_, nullptr, spec.nonce_bytes);
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(last_request_, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    return out;
  }

  // Parses `der` and, if successful, checks the signature and the signer's chain to the root.
  static void ParseAndVerify(const std::string& der, Parsed* out) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()));
    ASSERT_NE(resp, nullptr);
    out->response_status = OCSP_response_status(resp);
    if (out->response_status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      out->basic = OCSP_response_get1_basic(resp);
      ASSERT_NE(out->basic, nullptr);
      X509_STORE* store = X509_STORE_new();
      X509_STORE_add_cert(store, ca_->root());
      STACK_OF(X509)* certs = sk_X509_new_null();
      sk_X509_push(certs, ca_->intermediate());
      EXPECT_EQ(OCSP_basic_verify(out->basic, certs, store, 0), 1)
          << DrainOpenSslErrors("OCSP_basic_verify");
      sk_X509_free(certs);
      X509_STORE_free(store);
    }
    OCSP_RESPONSE_free(resp);
  }

  struct Single {
    int status = -1, reason = -2;
    core::TimePoint revoked_at, this_update, next_update;
  };
  Single Find(OCSP_BASICRESP* basic, size_t id_index) {
    Single s;
    ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
    EXPECT_EQ(OCSP_resp_find_status(basic, ids_.at(id_index), &s.status, &s.reason, &rev,
                                    &thisupd, &nextupd), 1);
    if (rev) s.revoked_at = FromAsn1Time(rev).value();
    if (thisupd) s.this_update = FromAsn1Time(thisupd).value();
    if (nextupd) s.next_update = FromAsn1Time(nextupd).value();
    if (thisupd && nextupd) {
      EXPECT_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
    }
    return s;
  }

  void TearDown() override {
    OCSP_REQUEST_free(last_request_);
    for (OCSP_CERTID* id : ids_) OCSP_CERTID_free(id);
  }

  OcspLookup Lookup() const {
    return [this](const std::string& serial) -> core::Result<OcspStatus> {
      auto it = statuses_.find(serial);
      if (it == statuses_.end()) return OcspStatus{};
      return it->second;
    };
  }

  static inline testing::StatusTestCa* ca_ = nullptr;
  static inline testing::StatusTestCa* other_ca_ = nullptr;
  OCSP_REQUEST* last_request_ = nullptr;
  std::vector<OCSP_CERTID*> ids_;
  std::map<std::string, OcspStatus> statuses_;
};

TEST_F(OcspTest, AnswersGoodRevokedAndUnknownVerifiably) {
  UniqueX509 good = ca_->IssueLeaf("good.example.com");
  UniqueX509 revoked = ca_->IssueLeaf("revoked.example.com");
  UniqueX509 unknown = ca_->IssueLeaf("unknown.example.com");  // not in the lookup
  core::TimePoint now = std::chrono::floor<std::chrono::seconds>(ca_->clock().Now());
  statuses_[Serial(good.get())] = {OcspCertStatus::kGood, {}, 0};
  statuses_[Serial(revoked.get())] = {OcspCertStatus::kRevoked, now - 1h, 1};

  std::string req = Request(Spec({good.get(), revoked.get(), unknown.get()}));
  OcspAnswer a = Responder().Respond(req, Lookup(), now);
  ASSERT_TRUE(a.successful);
  EXPECT_FALSE(a.has_nonce);
  EXPECT_EQ(a.this_update, now);
  EXPECT_EQ(a.next_update, now + 12h);
  Parsed parsed;
  ParseAndVerify(a.der, &parsed);
  ASSERT_EQ(parsed.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);

  Single g = Find(parsed.basic, 0);
  EXPECT_EQ(g.status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(g.this_update, now);
  EXPECT_EQ(g.next_update, now + 12h);
  Single r = Find(parsed.basic, 1);
  EXPECT_EQ(r.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(r.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(r.revoked_at, now - 1h);
  EXPECT_EQ(Find(parsed.basic, 2).status, V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_F(OcspTest, EchoesTheNonce) {
  UniqueX509 leaf = ca_->IssueLeaf("nonce.example.com");
  statuses_[Serial(leaf.get())] = {OcspCertStatus::kGood, {}, 0};
  RequestSpec spec = Spec({leaf.get()});
  spec.nonce_bytes = 16;
  OcspAnswer a = Responder().Respond(Request(spec), Lookup(), ca_->clock().Now());
  ASSERT_TRUE(a.successful);
  EXPECT_TRUE(a.has_nonce);
  Parsed parsed;
  ParseAndVerify(a.der, &parsed);
  ASSERT_NE(parsed.basic, nullptr);
  EXPECT_EQ(OCSP_check_nonce(last_request_, parsed.basic), 1);
}

TEST_F(OcspTest, Sha256CertIdsWork) {
  UniqueX509 leaf = ca_->IssueLeaf("sha256.example.com");
  statuses_[Serial(leaf.get())] = {OcspCertStatus::kGood, {}, 0};
  RequestSpec spec = Spec({leaf.get()});
  spec.md = EVP_sha256();
  OcspAnswer a = Responder().Respond(Request(spec), Lookup(), ca_->clock().Now());
  Parsed parsed;
  ParseAndVerify(a.der, &parsed);
  ASSERT_NE(parsed.basic, nullptr);
  EXPECT_EQ(Find(parsed.basic, 0).status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspTest, AnotherIssuersCertificateIsUnauthorizedWithoutALookup) {
  UniqueX509 foreign = other_ca_->IssueLeaf("foreign.example.com");
  bool looked_up = false;
  OcspLookup lookup = [&](const std::string&) -> core::Result<OcspStatus> {
    looked_up = true;
    return OcspStatus{OcspCertStatus::kGood, {}, 0};
  };
  RequestSpec spec = Spec({foreign.get()});
  spec.issuer = other_ca_->intermediate();
  OcspAnswer a = Responder().Respond(Request(spec), lookup, ca_->clock().Now());
  EXPECT_FALSE(a.successful);
  Parsed parsed;
  ParseAndVerify(a.der, &parsed);
  EXPECT_EQ(parsed.response_status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  EXPECT_FALSE(looked_up);
}

TEST_F(OcspTest, LookupFailureIsInternalError) {
  UniqueX509 leaf = ca_->IssueLeaf("fail.example.com");
  OcspLookup failing = [](const std::string&) -> core::Result<OcspStatus> {
    return core::Err(core::ErrorType::kInternal, "database down");
  };
  OcspAnswer a = Responder().Respond(Request(Spec({leaf.get()})), failing, ca_->clock().Now());
  EXPECT_FALSE(a.successful);
  Parsed parsed;
  ParseAndVerify(a.der, &parsed);
  EXPECT_EQ(parsed.response_status, OCSP_RESPONSE_STATUS_INTERNALERROR);
}

TEST_F(OcspTest, MalformedRequestsGetMalformedRequest) {
  UniqueX509 leaf = ca_->IssueLeaf("malformed.example.com");
  std::string good = Request(Spec({leaf.get()}));
  RequestSpec big_nonce = Spec({leaf.get()});
  big_nonce.nonce_bytes = 33;
  std::vector<X509*> many(3, leaf.get());
  OcspOptions small;
  small.max_certs_per_request = 2;

  struct Case {
    const char* name;
    std::string der;
    OcspOptions options;
  };
  std::vector<Case> cases = {
      {"empty", "", {}},
      {"garbage", "\x30\x03\x02\x01\x01", {}},
      {"trailing_data", good + "x", {}},
      {"no_certificates", Request(Spec({})), {}},
      {"nonce_over_32_octets", Request(big_nonce), {}},
      {"too_many_certificates", Request(Spec(many)), small},
      {"too_large", good, OcspOptions{12h, good.size() - 1, 8}},
  };
  for (const Case& c : cases) {
    OcspAnswer a = Responder(c.options).Respond(c.der, Lookup(), ca_->clock().Now());
    EXPECT_FALSE(a.successful) << c.name;
    Parsed parsed;
    ParseAndVerify(a.der, &parsed);
    EXPECT_EQ(parsed.response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST) << c.name;
  }
}

}  // namespace
}  // namespace flint::ca
