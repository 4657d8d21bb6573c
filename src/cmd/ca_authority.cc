#include "cmd/ca_authority.h"

#include <openssl/x509v3.h>

#include "ca/signer.h"

namespace flint::cmd {

namespace {

std::string SubjectKeyId(X509* cert) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert);
  if (ski == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski)),
                     static_cast<size_t>(ASN1_STRING_length(ski)));
}

}  // namespace

LocalCertificateAuthority::LocalCertificateAuthority(const ca::CaMaterial& material,
                                                     core::Random& random,
                                                     ca::OcspOptions ocsp)
    : issuer_(ca::NewIntermediateIssuer(material, random)) {
  auto signer = std::make_shared<ca::KeySigner>(material.intermediate_key);
  crls_ = std::make_unique<ca::CrlIssuer>(signer, material.intermediate_cert);
  ocsp_ = std::make_unique<ca::OcspResponder>(signer, material.intermediate_cert, ocsp);
  issuer_key_id_ = SubjectKeyId(material.intermediate_cert.get());
}

core::Result<ra::IssuedCertificate> LocalCertificateAuthority::Issue(
    const ra::IssueRequest& request) const {
  ca::IssueRequest req;
  req.identifiers = request.identifiers;
  req.public_key = request.public_key ? request.public_key->pkey() : nullptr;
  req.spki_der = request.spki_der;
  req.not_before = request.not_before;
  req.not_after = request.not_after;
  req.include_cn = request.include_cn;
  req.include_client_auth = request.include_client_auth;
  req.key_usages = request.key_usages;
  req.aia_issuer_url = request.aia_issuer_url;
  req.ocsp_url = request.ocsp_url;
  req.crl_url = request.crl_url;
  FLINT_ASSIGN_OR_RETURN(ca::IssuedCertificate issued, issuer_->Issue(req));
  return ra::IssuedCertificate{std::move(issued.serial_hex), std::move(issued.der),
                               std::move(issued.chain_pem), issued.not_before,
                               issued.not_after};
}

core::Result<std::string> LocalCertificateAuthority::SignCrl(
    const ra::CrlContents& contents) const {
  ca::CrlContents c;
  c.number = contents.number;
  c.this_update = contents.this_update;
  c.next_update = contents.next_update;
  c.entries.reserve(contents.entries.size());
  for (const ra::CrlEntry& e : contents.entries)
    c.entries.push_back({e.serial_hex, e.revocation_date, e.reason});
  return crls_->Issue(c);
}

namespace {

ca::OcspCertStatus ToCa(ra::OcspCertStatus s) {
  switch (s) {
    case ra::OcspCertStatus::kGood:
      return ca::OcspCertStatus::kGood;
    case ra::OcspCertStatus::kRevoked:
      return ca::OcspCertStatus::kRevoked;
    case ra::OcspCertStatus::kUnknown:
      return ca::OcspCertStatus::kUnknown;
  }
  return ca::OcspCertStatus::kUnknown;
}

}  // namespace

ra::OcspAnswer LocalCertificateAuthority::RespondOcsp(std::string_view request_der,
                                                      const ra::OcspLookup& lookup,
                                                      core::TimePoint now) const {
  ca::OcspLookup ca_lookup = [&lookup](const std::string& serial) -> core::Result<ca::OcspStatus> {
    FLINT_ASSIGN_OR_RETURN(ra::OcspStatus s, lookup(serial));
    return ca::OcspStatus{ToCa(s.status), s.revoked_at, s.reason};
  };
  ca::OcspAnswer a = ocsp_->Respond(request_der, ca_lookup, now);
  return ra::OcspAnswer{std::move(a.der), a.successful, a.has_nonce, a.this_update,
                        a.next_update, std::move(a.error)};
}

}  // namespace flint::cmd
