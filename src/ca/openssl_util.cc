#include "ca/openssl_util.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>
#include <ctime>

namespace flint::ca {
namespace {

// PEM password callback that refuses: a CA key must not sit encrypted behind an interactive
// prompt in a server, and OpenSSL would otherwise read the terminal.
int RefusePassword(char*, int, int, void*) { return -1; }

core::Result<UniqueBio> MemBio(std::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) {
    return core::Err(core::ErrorType::kInternal, "PEM input too large");
  }
  UniqueBio bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len > 0 ? len : 0));
}

}  // namespace

std::shared_ptr<X509> ShareX509(UniqueX509 cert) {
  return std::shared_ptr<X509>(cert.release(), X509_free);
}

std::shared_ptr<EVP_PKEY> SharePkey(UniquePkey key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

std::string DrainOpenSslErrors(std::string_view what) {
  std::string out(what);
  bool first = true;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

core::Error OpenSslError(std::string_view what) {
  return core::Err(core::ErrorType::kInternal, DrainOpenSslErrors(what));
}

core::Result<UniquePkey> GenerateEcKey(const char* curve) {
  UniquePkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  if (!key) return OpenSslError(std::string("generating EC key on ") + curve);
  return key;
}

core::Result<std::string> CertToPem(X509* cert) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("PEM_write_bio_X509");
  return BioContents(bio.get());
}

core::Result<std::string> CertToDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) return OpenSslError("i2d_X509");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

core::Result<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  // A secure-heap BIO would be nicer, but the string leaves it anyway; the caller cleanses it.
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  std::string out = BioContents(bio.get());
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem != nullptr && mem->data != nullptr) OPENSSL_cleanse(mem->data, mem->length);
  return out;
}

core::Result<std::vector<UniqueX509>> ParsePemCertificates(std::string_view pem) {
  FLINT_ASSIGN_OR_RETURN(UniqueBio bio, MemBio(pem));
  std::vector<UniqueX509> certs;
  while (true) {
    UniqueX509 cert(PEM_read_bio_X509(bio.get(), nullptr, RefusePassword, nullptr));
    if (!cert) break;
    certs.push_back(std::move(cert));
  }
  // PEM_read_bio_X509 ends with PEM_R_NO_START_LINE at a clean end of input; anything else
  // (bad base64, bad DER, a truncated block) is corruption.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (!clean_end) return OpenSslError("malformed PEM certificate");
  ERR_clear_error();
  if (certs.empty()) return core::Err(core::ErrorType::kInternal, "no PEM certificate found");
  return certs;
}

core::Result<UniquePkey> ParsePemPrivateKey(std::string_view pem) {
  FLINT_ASSIGN_OR_RETURN(UniqueBio bio, MemBio(pem));
  UniquePkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassword, nullptr));
  if (!key) return OpenSslError("not a readable unencrypted PEM private key");
  return key;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string CertFingerprintSha256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) {
    ERR_clear_error();
    return "";
  }
  return HexEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

core::Result<std::string> SerialToHex(const ASN1_INTEGER* serial) {
  unsigned char* der = nullptr;
  int len = i2d_ASN1_INTEGER(serial, &der);
  if (len <= 0) return OpenSslError("i2d_ASN1_INTEGER");
  std::string encoded(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  // Tag 0x02, then a short (< 128) or long-form length, then the content octets.
  size_t header = 2;
  if (encoded.size() >= 2 && (static_cast<unsigned char>(encoded[1]) & 0x80) != 0) {
    header += static_cast<unsigned char>(encoded[1]) & 0x7f;
  }
  if (encoded.size() <= header) return core::Err(core::ErrorType::kInternal, "empty serial");
  return HexEncode(std::string_view(encoded).substr(header));
}

std::string IpTextToBytes(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return "";
  std::string z(text);  // inet_pton needs a NUL-terminated string
  unsigned char buf[16];
  if (inet_pton(AF_INET, z.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, z.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return "";
}

std::string IpBytesToText(std::string_view bytes) {
  char buf[INET6_ADDRSTRLEN];
  int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, bytes.data(), buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

core::Result<UniqueAsn1Time> ToAsn1Time(core::TimePoint t) {
  // ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime after, as RFC 5280 §4.1.2.5
  // requires.
  UniqueAsn1Time out(ASN1_TIME_set(nullptr, static_cast<time_t>(core::ToUnixSeconds(t))));
  if (!out) return OpenSslError("ASN1_TIME_set");
  return out;
}

core::Result<core::TimePoint> FromAsn1Time(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return OpenSslError("bad ASN1_TIME");
  return core::FromUnixSeconds(static_cast<int64_t>(timegm(&tm)));
}

void Cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace flint::ca
