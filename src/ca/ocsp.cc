#include "ca/ocsp.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

using UniqueOcspRequest = std::unique_ptr<OCSP_REQUEST, OsslDeleter<OCSP_REQUEST_free>>;
using UniqueOcspResponse = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<OCSP_RESPONSE_free>>;
using UniqueBasicResp = std::unique_ptr<OCSP_BASICRESP, OsslDeleter<OCSP_BASICRESP_free>>;
using UniqueCertId = std::unique_ptr<OCSP_CERTID, OsslDeleter<OCSP_CERTID_free>>;
using UniqueOctets = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING_free>>;

constexpr int kMaxNonceOctets = 32;  // RFC 8954 §2.1

std::string Encode(OCSP_RESPONSE* resp) {
  unsigned char* der = nullptr;
  int len = resp == nullptr ? -1 : i2d_OCSP_RESPONSE(resp, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// An unsuccessful OCSPResponse: just the status (§4.2.1), no responseBytes.
OcspAnswer Unsuccessful(int status, std::string why = "") {
  OcspAnswer a;
  a.error = std::move(why);
  UniqueOcspResponse resp(OCSP_response_create(status, nullptr));
  a.der = Encode(resp.get());
  ERR_clear_error();
  return a;
}

// -1: a nonce of a length RFC 8954 forbids; 0: no nonce; 1: a nonce to echo.
int CheckNonce(OCSP_REQUEST* req) {
  int idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
  if (idx < 0) return 0;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, idx));
  if (value == nullptr) return -1;
  // §4.4.1: extnValue holds an OCTET STRING with the nonce; count its content octets. Some old
  // clients put the raw bytes there: then the whole value is the nonce.
  const unsigned char* p = ASN1_STRING_get0_data(value);
  const long len = ASN1_STRING_length(value);
  UniqueOctets inner(d2i_ASN1_OCTET_STRING(nullptr, &p, len));
  const bool wrapped = inner && p == ASN1_STRING_get0_data(value) + len;
  const int n = wrapped ? ASN1_STRING_length(inner.get()) : static_cast<int>(len);
  ERR_clear_error();
  return n >= 1 && n <= kMaxNonceOctets ? 1 : -1;
}

}  // namespace

OcspResponder::OcspResponder(std::shared_ptr<const Signer> signer,
                             std::shared_ptr<X509> issuer_cert, OcspOptions options)
    : signer_(std::move(signer)), issuer_cert_(std::move(issuer_cert)), options_(options) {}

namespace {

// The status of one requested CertID; std::nullopt when it does not name this issuer.
core::Result<std::optional<OcspStatus>> StatusFor(X509* issuer, OCSP_CERTID* cid,
                                                  const OcspLookup& lookup) {
  ASN1_OBJECT* md_obj = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(nullptr, &md_obj, nullptr, &serial, cid) != 1 || serial == nullptr)
    return std::optional<OcspStatus>();
  const EVP_MD* md = EVP_get_digestbyobj(md_obj);
  if (md == nullptr) return std::optional<OcspStatus>();
  UniqueCertId ours(OCSP_cert_id_new(md, X509_get_subject_name(issuer),
                                     X509_get0_pubkey_bitstr(issuer), serial));
  if (!ours) return OpenSslError("OCSP_cert_id_new");
  if (OCSP_id_issuer_cmp(ours.get(), cid) != 0) return std::optional<OcspStatus>();
  FLINT_ASSIGN_OR_RETURN(std::string serial_hex, SerialToHex(serial));
  FLINT_ASSIGN_OR_RETURN(OcspStatus status, lookup(serial_hex));
  return std::optional<OcspStatus>(status);
}

core::Result<void> AddStatus(OCSP_BASICRESP* basic, OCSP_CERTID* cid, const OcspStatus& st,
                             ASN1_TIME* this_update, ASN1_TIME* next_update) {
  int code = V_OCSP_CERTSTATUS_UNKNOWN;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  UniqueAsn1Time revoked_at;
  if (st.status == OcspCertStatus::kGood) code = V_OCSP_CERTSTATUS_GOOD;
  if (st.status == OcspCertStatus::kRevoked) {
    code = V_OCSP_CERTSTATUS_REVOKED;
    reason = st.reason;
    FLINT_ASSIGN_OR_RETURN(revoked_at,
                           ToAsn1Time(std::chrono::floor<std::chrono::seconds>(st.revoked_at)));
  }
  if (OCSP_basic_add1_status(basic, cid, code, reason, revoked_at.get(), this_update,
                             next_update) == nullptr) {
    return OpenSslError("OCSP_basic_add1_status");
  }
  return core::Ok();
}

}  // namespace

OcspAnswer OcspResponder::Respond(std::string_view request_der, const OcspLookup& lookup,
                                  core::TimePoint now) const {
  // Step 1: the request.
  if (request_der.empty() || request_der.size() > options_.max_request_bytes)
    return Unsuccessful(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "empty or too large");
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  UniqueOcspRequest req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())));
  if (!req || p != reinterpret_cast<const unsigned char*>(request_der.data()) + request_der.size())
    return Unsuccessful(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "not one DER OCSPRequest");
  const int count = OCSP_request_onereq_count(req.get());
  const int nonce = CheckNonce(req.get());
  if (count < 1 || count > options_.max_certs_per_request || nonce < 0) {
    return Unsuccessful(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
                        "bad certificate count or nonce length");
  }

  // Step 2: one SingleResponse per CertID, all with the same validity window.
  OcspAnswer answer;
  answer.this_update = std::chrono::floor<std::chrono::seconds>(now);
  answer.next_update = answer.this_update + options_.validity;
  auto this_update = ToAsn1Time(answer.this_update);
  auto next_update = ToAsn1Time(answer.next_update);
  UniqueBasicResp basic(OCSP_BASICRESP_new());
  if (!this_update.ok() || !next_update.ok() || !basic)
    return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR);
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    auto status = StatusFor(issuer_cert_.get(), cid, lookup);
    if (!status.ok()) return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR, status.error().detail);
    if (!*status) {
      return Unsuccessful(OCSP_RESPONSE_STATUS_UNAUTHORIZED,
                          "a CertID names another issuer or an unknown hash algorithm");
    }
    auto added = AddStatus(basic.get(), cid, **status, this_update->get(), next_update->get());
    if (!added.ok()) return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR, added.error().detail);
  }

  // Step 3: echo the nonce, sign, wrap.
  if (nonce > 0 && OCSP_copy_nonce(basic.get(), req.get()) <= 0)
    return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR);
  auto signed_ok = signer_->SignOcspResponse(basic.get(), issuer_cert_.get(), nullptr,
                                             OCSP_NOCERTS | OCSP_RESPID_KEY);
  if (!signed_ok.ok())
    return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR, signed_ok.error().detail);
  UniqueOcspResponse resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  answer.der = Encode(resp.get());
  if (answer.der.empty()) return Unsuccessful(OCSP_RESPONSE_STATUS_INTERNALERROR);
  answer.successful = true;
  answer.has_nonce = nonce > 0;
  return answer;
}

}  // namespace flint::ca
