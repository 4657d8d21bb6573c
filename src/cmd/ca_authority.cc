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
  return issuer_->Issue(req);
}

core::Result<std::string> LocalCertificateAuthority::SignCrl(
    const ra::CrlContents& contents) const {
  return crls_->Issue(contents);
}

ra::OcspAnswer LocalCertificateAuthority::RespondOcsp(std::string_view request_der,
                                                      const ra::OcspLookup& lookup,
                                                      core::TimePoint now) const {
  return ocsp_->Respond(request_der, lookup, now);
}

}  // namespace flint::cmd
