#pragma once
// The local CA behind the RA's CertificateAuthority seam (ra/certificate_authority.h): the
// intermediate key signs certificates (ca::Issuer), CRLs (ca::CrlIssuer) and OCSP answers
// (ca::OcspResponder). An adapter in cmd, the composition root, so that neither ra nor ca
// depends on the other; it converts between the two modules' plain value types.

#include <memory>
#include <string>

#include "ca/ca_files.h"
#include "ca/crl.h"
#include "ca/issuer.h"
#include "ca/ocsp.h"
#include "core/random.h"
#include "ra/certificate_authority.h"

namespace flint::cmd {

class LocalCertificateAuthority final : public ra::CertificateAuthority {
 public:
  // Signs with `material`'s intermediate key. `random` must outlive this object and be
  // thread-safe.
  // OCSP answers last `ocsp.validity` (--ocsp-lifetime).
  LocalCertificateAuthority(const ca::CaMaterial& material, core::Random& random,
                            ca::OcspOptions ocsp = {});

  core::Result<ra::IssuedCertificate> Issue(const ra::IssueRequest& request) const override;
  const std::string& IssuerKeyIdentifier() const override { return issuer_key_id_; }
  core::Result<std::string> SignCrl(const ra::CrlContents& contents) const override;
  ra::OcspAnswer RespondOcsp(std::string_view request_der, const ra::OcspLookup& lookup,
                             core::TimePoint now) const override;

 private:
  std::unique_ptr<ca::Issuer> issuer_;
  std::unique_ptr<ca::CrlIssuer> crls_;
  std::unique_ptr<ca::OcspResponder> ocsp_;
  std::string issuer_key_id_;
};

}  // namespace flint::cmd
