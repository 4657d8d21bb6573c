#include "ca/ca_files.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "ca/ca_test_util.h"
#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

using testing::TempDir;

constexpr const char* kAllFiles[] = {kRootCertFile,        kRootKeyFile, kIntermediateCertFile,
                                     kIntermediateKeyFile, kTlsCertFile, kTlsKeyFile,
                                     kCaMarkerFile};

mode_t FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Every entry in `dir` with its content and modification time: "nothing changed" means equal.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st {};
    ::stat(entry.path().c_str(), &st);
    out[entry.path().filename().string()] = ReadAll(entry.path().string()) + "|" +
                                            std::to_string(st.st_mtim.tv_sec) + "." +
                                            std::to_string(st.st_mtim.tv_nsec);
  }
  return out;
}

int CurveNid(EVP_PKEY* key) {
  char name[64] = {};
  size_t len = 0;
  EVP_PKEY_get_utf8_string_param(key, "group", name, sizeof(name), &len);
  return OBJ_sn2nid(name);
}

class CaFilesTest : public ::testing::Test {
 protected:
  core::Result<CaMaterial> Load(const std::vector<std::string>& extra = {}) {
    return LoadOrCreateCa(dir_, extra, clock_, random_);
  }

  TempDir tmp_;
  std::string dir_ = tmp_.path() + "/data";  // does not exist yet
  core::FakeClock clock_;
  core::SecureRandom random_;
};

TEST_F(CaFilesTest, BootstrapWritesEveryFileWithKeysPrivate) {
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  EXPECT_TRUE(ca->created);
  EXPECT_EQ(FileMode(dir_), 0700u);
  for (const char* name : kAllFiles) {
    std::string path = dir_ + "/" + name;
    ASSERT_TRUE(std::filesystem::is_regular_file(path)) << name;
    bool is_key = std::string(name).ends_with(".key");
    EXPECT_EQ(FileMode(path), is_key ? 0600u : 0644u) << name;
  }
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            7);
  EXPECT_EQ(ReadAll(dir_ + "/root.pem"), ca->root_pem);
  EXPECT_EQ(ReadAll(dir_ + "/tls.pem"), ca->tls_chain_pem);
  EXPECT_EQ(ca->tls_chain_pem, CertToPem(ca->tls_cert.get()).value() + ca->intermediate_pem);
  EXPECT_EQ(ca->tls_key_path, dir_ + "/tls.key");
}

TEST_F(CaFilesTest, BootstrapChainVerifiesForTlsServer) {
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  EXPECT_EQ(testing::VerifyChain(ca->tls_cert.get(), ca->root_cert.get(),
                                 ca->intermediate_cert.get(), clock_.Now()),
            X509_V_OK);
  EXPECT_EQ(X509_check_private_key(ca->intermediate_cert.get(), ca->intermediate_key.get()), 1);
  EXPECT_EQ(X509_check_private_key(ca->tls_cert.get(), ca->tls_key.get()), 1);
  EXPECT_EQ(testing::SanStrings(ca->tls_cert.get()),
            (std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1", "IP:::1"}));
}

TEST_F(CaFilesTest, BootstrapProfilesMatchTheDesign) {
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  X509* root = ca->root_cert.get();
  X509* inter = ca->intermediate_cert.get();
  X509* tls = ca->tls_cert.get();

  EXPECT_EQ(CurveNid(X509_get0_pubkey(root)), NID_secp384r1);
  EXPECT_TRUE(testing::SubjectCn(root).starts_with("flint root "));
  EXPECT_EQ(X509_check_issued(root, root), X509_V_OK);
  EXPECT_EQ(testing::ExtCritical(root, NID_basic_constraints), 1);
  EXPECT_EQ(testing::ExtCritical(root, NID_key_usage), 1);
  EXPECT_EQ(X509_get_key_usage(root), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(root), nullptr);

  EXPECT_EQ(CurveNid(X509_get0_pubkey(inter)), NID_X9_62_prime256v1);
  EXPECT_EQ(X509_get_pathlen(inter), 0);
  EXPECT_EQ(X509_get_key_usage(inter),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(inter),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(
      ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(inter), X509_get0_subject_key_id(root)), 0);
  EXPECT_EQ(X509_get_signature_nid(inter), NID_ecdsa_with_SHA384);

  EXPECT_EQ(CurveNid(X509_get0_pubkey(tls)), NID_X9_62_prime256v1);
  EXPECT_EQ(X509_get_extended_key_usage(tls), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_signature_nid(tls), NID_ecdsa_with_SHA256);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(tls), X509_get0_notAfter(tls)), 1);
  EXPECT_GE(days, 365);
  EXPECT_LE(days, 366);
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(root), X509_get0_notAfter(root)), 1);
  EXPECT_GE(days, 3650);
}

TEST_F(CaFilesTest, SecondLoadReusesTheSameCaAndWritesNothing) {
  auto first = Load();
  ASSERT_TRUE(first.ok()) << first.error().detail;
  auto before = Snapshot(dir_);
  auto second = Load();
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_FALSE(second->created);
  EXPECT_FALSE(second->tls_reissued);
  EXPECT_EQ(CertFingerprintSha256(second->root_cert.get()),
            CertFingerprintSha256(first->root_cert.get()));
  EXPECT_EQ(X509_cmp(second->intermediate_cert.get(), first->intermediate_cert.get()), 0);
  EXPECT_EQ(EVP_PKEY_eq(second->intermediate_key.get(), first->intermediate_key.get()), 1);
  EXPECT_EQ(X509_cmp(second->tls_cert.get(), first->tls_cert.get()), 0);
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(CaFilesTest, LoadDoesNotNeedTheRootKey) {
  ASSERT_TRUE(Load().ok());
  // An operator may move the root key offline after creation.
  ASSERT_EQ(::unlink((dir_ + "/root.key").c_str()), 0);
  auto again = Load();
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_FALSE(again->created);
}

struct DamageCase {
  std::string name;
  std::string file_in_detail;
  std::function<void(const std::string& dir, const std::string& other_ca_dir)> damage;
};

class CaFilesDamageTest : public CaFilesTest, public ::testing::WithParamInterface<DamageCase> {};

TEST_P(CaFilesDamageTest, RefusesAndChangesNothing) {
  ASSERT_TRUE(Load().ok());
  TempDir other;  // a second, unrelated CA to borrow mismatched files from
  core::FakeClock clock;
  ASSERT_TRUE(LoadOrCreateCa(other.path() + "/ca", {}, clock, random_).ok());
  GetParam().damage(dir_, other.path() + "/ca");
  auto before = Snapshot(dir_);

  auto result = Load({"extra.example"});  // a wanted re-issue must not write either
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kInternal);
  EXPECT_NE(result.error().detail.find(GetParam().file_in_detail), std::string::npos)
      << result.error().detail;
  EXPECT_NE(result.error().detail.find("refusing to create a new CA over it"), std::string::npos);
  EXPECT_EQ(Snapshot(dir_), before);
}

void Remove(const std::string& path) { std::filesystem::remove(path); }
void Copy(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CaFilesDamageTest,
    ::testing::Values(
        DamageCase{"marker_deleted", "ca.json does not",
                   [](const std::string& d, const std::string&) { Remove(d + "/ca.json"); }},
        DamageCase{
            "intermediate_key_deleted", "intermediate.key is missing",
            [](const std::string& d, const std::string&) { Remove(d + "/intermediate.key"); }},
        DamageCase{"root_pem_truncated", "root.pem",
                   [](const std::string& d, const std::string&) {
                     std::filesystem::resize_file(d + "/root.pem", 200);
                   }},
        DamageCase{"root_pem_empty", "root.pem",
                   [](const std::string& d, const std::string&) { WriteAll(d + "/root.pem", ""); }},
        DamageCase{"tls_pem_missing", "tls.pem is missing",
                   [](const std::string& d, const std::string&) { Remove(d + "/tls.pem"); }},
        DamageCase{"tls_key_of_other_cert", "tls.key does not match",
                   [](const std::string& d, const std::string&) {
                     Copy(d + "/intermediate.key", d + "/tls.key");
                   }},
        DamageCase{"intermediate_key_garbage", "intermediate.key is corrupt",
                   [](const std::string& d, const std::string&) {
                     WriteAll(d + "/intermediate.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
                   }},
        DamageCase{"intermediate_from_other_ca", "intermediate.pem is not signed by root.pem",
                   [](const std::string& d, const std::string& o) {
                     Copy(o + "/intermediate.pem", d + "/intermediate.pem");
                   }},
        DamageCase{"root_from_other_ca", "root.pem is not the root recorded",
                   [](const std::string& d, const std::string& o) {
                     Copy(o + "/root.pem", d + "/root.pem");
                   }},
        DamageCase{"tls_from_other_ca", "tls.pem does not end with",
                   [](const std::string& d, const std::string& o) {
                     Copy(o + "/tls.pem", d + "/tls.pem");
                   }},
        DamageCase{"marker_garbage", "ca.json is not a valid CA marker",
                   [](const std::string& d, const std::string&) {
                     WriteAll(d + "/ca.json", "{\"format\":");
                   }},
        DamageCase{"marker_future_format", "ca.json has format 2",
                   [](const std::string& d, const std::string&) {
                     WriteAll(d + "/ca.json", "{\"format\":2,\"root_sha256\":\"x\"}");
                   }}),
    [](const ::testing::TestParamInfo<DamageCase>& info) { return info.param.name; });

TEST_F(CaFilesTest, HalfWrittenDirectoryIsRefused) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  WriteAll(dir_ + "/root.key", "partial");
  auto before = Snapshot(dir_);
  auto result = Load();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kInternal);
  EXPECT_NE(result.error().detail.find("root.key"), std::string::npos);
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(CaFilesTest, StoreWithoutCaIsRefused) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  WriteAll(dir_ + "/store.db", "sqlite");
  auto result = LoadOrCreateCa(dir_, {}, clock_, random_, {"store.db"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kInternal);
  EXPECT_NE(result.error().detail.find("store.db"), std::string::npos);
  EXPECT_EQ(Snapshot(dir_).size(), 1u);
}

TEST_F(CaFilesTest, ExistingDirectoryWithUnrelatedFilesGetsACa) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0750), 0);
  WriteAll(dir_ + "/README", "operator notes");
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  EXPECT_TRUE(ca->created);
  EXPECT_EQ(ReadAll(dir_ + "/README"), "operator notes");
}

TEST_F(CaFilesTest, PathThatIsAFileIsRefused) {
  WriteAll(dir_, "not a directory");
  auto result = Load();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kInternal);
}

TEST_F(CaFilesTest, ExtraTlsNameReissuesListenerCertUnderTheSameRoot) {
  auto first = Load();
  ASSERT_TRUE(first.ok()) << first.error().detail;
  std::string key_before = ReadAll(dir_ + "/tls.key");

  auto second = Load({"Flint.Example", "192.0.2.7", "2001:DB8:0::1"});
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_TRUE(second->tls_reissued);
  EXPECT_EQ(CertFingerprintSha256(second->root_cert.get()),
            CertFingerprintSha256(first->root_cert.get()));
  EXPECT_NE(X509_cmp(second->tls_cert.get(), first->tls_cert.get()), 0);
  EXPECT_EQ(testing::SanStrings(second->tls_cert.get()),
            (std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1", "IP:::1",
                                      "DNS:flint.example", "IP:192.0.2.7", "IP:2001:db8::1"}));
  EXPECT_EQ(ReadAll(dir_ + "/tls.key"), key_before);  // same key, only tls.pem replaced
  EXPECT_EQ(ReadAll(dir_ + "/tls.pem"), second->tls_chain_pem);
  EXPECT_EQ(FileMode(dir_ + "/tls.pem"), 0644u);
  EXPECT_EQ(testing::VerifyChain(second->tls_cert.get(), second->root_cert.get(),
                                 second->intermediate_cert.get(), clock_.Now()),
            X509_V_OK);

  // Asking again for names already present re-issues nothing.
  auto third = Load({"192.0.2.7", "flint.example"});
  ASSERT_TRUE(third.ok()) << third.error().detail;
  EXPECT_FALSE(third->tls_reissued);
  EXPECT_EQ(X509_cmp(third->tls_cert.get(), second->tls_cert.get()), 0);
}

TEST_F(CaFilesTest, ListenerCertNearExpiryIsReissued) {
  auto first = Load();
  ASSERT_TRUE(first.ok()) << first.error().detail;
  clock_.Advance(std::chrono::days(300));
  auto early = Load();
  ASSERT_TRUE(early.ok()) << early.error().detail;
  EXPECT_FALSE(early->tls_reissued);

  clock_.Advance(std::chrono::days(40));  // 25 days before expiry
  auto renewed = Load();
  ASSERT_TRUE(renewed.ok()) << renewed.error().detail;
  EXPECT_TRUE(renewed->tls_reissued);
  EXPECT_EQ(X509_cmp(renewed->root_cert.get(), first->root_cert.get()), 0);
  EXPECT_GT(ASN1_TIME_compare(X509_get0_notAfter(renewed->tls_cert.get()),
                              X509_get0_notAfter(first->tls_cert.get())),
            0);
  EXPECT_EQ(testing::VerifyChain(renewed->tls_cert.get(), renewed->root_cert.get(),
                                 renewed->intermediate_cert.get(), clock_.Now()),
            X509_V_OK);
}

TEST_F(CaFilesTest, InvalidExtraTlsNameIsMalformed) {
  for (const std::string bad : {"bad name", "-x.example", "a..example", ""}) {
    auto result = Load({bad});
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().type, core::ErrorType::kMalformed) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(CaFilesTest, IssuerFromMaterialSignsWithTheIntermediate) {
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  auto issuer = NewIntermediateIssuer(*ca, random_);
  IssueRequest request;
  request.identifiers = {{core::IdentifierType::kDns, "www.example.com"}};
  request.public_key = ca->tls_key.get();
  request.not_before = clock_.Now();
  request.not_after = clock_.Now() + std::chrono::days(90);
  auto issued = issuer->Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  ASSERT_TRUE(leaf);
  EXPECT_EQ(testing::VerifyChain(leaf.get(), ca->root_cert.get(), ca->intermediate_cert.get(),
                                 clock_.Now()),
            X509_V_OK);
}

// X509_verify_cert of `leaf` against `root` alone, with every certificate of `chain_pem`
// untrusted: the chain a client receives must lead to that root.
int VerifyWithChainPem(X509* leaf, X509* root, const std::string& chain_pem, core::TimePoint at) {
  auto certs = ParsePemCertificates(chain_pem);
  if (!certs.ok()) return X509_V_ERR_UNSPECIFIED;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (UniqueX509& c : *certs) sk_X509_push(untrusted, c.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, untrusted);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(core::ToUnixSeconds(at)));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  int rc = X509_verify_cert(ctx);
  int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  if (rc != 1 && err == X509_V_OK) err = X509_V_ERR_UNSPECIFIED;
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  ERR_clear_error();
  return err;
}

size_t PemCount(const std::string& pem) {
  auto certs = ParsePemCertificates(pem);
  return certs.ok() ? certs->size() : 0;
}

// PEBBLE_CHAIN_LENGTH and PEBBLE_ALTERNATE_ROOTS: every hierarchy ends in the one issuing key, so
// one leaf verifies under each root with that root's chain, and a reload finds the same shape.
TEST_F(CaFilesTest, ShapeWithLongerChainsAndAlternateRootsVerifiesAndReloads) {
  const CaShape shape{3, 2};
  auto ca = LoadOrCreateCa(dir_, {}, clock_, random_, {}, shape);
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  ASSERT_EQ(ca->chains.size(), 3u);
  for (const char* f : {"chain.pem", "alternate-1.pem", "alternate-2.pem"}) {
    EXPECT_EQ(FileMode(dir_ + "/" + f), 0644u) << f;
  }
  EXPECT_EQ(FileMode(dir_ + "/alternate-1-root.key"), 0600u);
  EXPECT_EQ(FileMode(dir_ + "/alternate-2-root.key"), 0600u);
  EXPECT_EQ(PemCount(ca->tls_chain_pem), 4u);  // leaf + 3 intermediates
  auto issuer = NewIntermediateIssuer(*ca, random_);
  IssueRequest request;
  request.identifiers = {{core::IdentifierType::kDns, "www.example.com"}};
  request.public_key = ca->tls_key.get();
  request.not_before = clock_.Now();
  request.not_after = clock_.Now() + std::chrono::days(90);
  auto issued = issuer->Issue(request);
  ASSERT_TRUE(issued.ok()) << issued.error().detail;
  EXPECT_EQ(PemCount(issued->chain_pem), 4u);
  UniqueX509 leaf = testing::ParseDerCert(issued->der);
  ASSERT_TRUE(leaf);
  for (size_t k = 0; k < ca->chains.size(); ++k) {
    const IssuerChain& chain = ca->chains[k];
    EXPECT_EQ(PemCount(chain.chain_pem), 3u) << k;
    EXPECT_EQ(VerifyWithChainPem(leaf.get(), chain.root.get(), chain.chain_pem, clock_.Now()),
              X509_V_OK)
        << "hierarchy " << k;
    // Not under another hierarchy's root with this one's chain.
    const IssuerChain& other = ca->chains[(k + 1) % ca->chains.size()];
    EXPECT_NE(VerifyWithChainPem(leaf.get(), other.root.get(), chain.chain_pem, clock_.Now()),
              X509_V_OK)
        << "hierarchy " << k;
  }
  EXPECT_EQ(ca->chains[0].chain_pem.substr(0, ca->intermediate_pem.size()), ca->intermediate_pem);

  auto again = Load();  // the default shape asked for; the recorded one wins
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->shape.chain_length, 3);
  EXPECT_EQ(again->shape.alternate_roots, 2);
  ASSERT_EQ(again->chains.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(again->chains[k].chain_pem, ca->chains[k].chain_pem) << k;
    EXPECT_EQ(again->chains[k].root_pem, ca->chains[k].root_pem) << k;
  }
}

TEST_F(CaFilesTest, DefaultShapeHasOneChainAndNoExtraFiles) {
  auto ca = Load();
  ASSERT_TRUE(ca.ok()) << ca.error().detail;
  ASSERT_EQ(ca->chains.size(), 1u);
  EXPECT_EQ(ca->chains[0].chain_pem, ca->intermediate_pem);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/chain.pem"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/alternate-1.pem"));
}

TEST_F(CaFilesTest, DamagedAlternateChainIsRefused) {
  ASSERT_TRUE(LoadOrCreateCa(dir_, {}, clock_, random_, {}, CaShape{1, 1}).ok());
  // The alternate hierarchy's certificates in the wrong order.
  const std::string alt = ReadAll(dir_ + "/alternate-1.pem");
  const size_t split = alt.find("-----BEGIN CERTIFICATE-----", 1);
  ASSERT_NE(split, std::string::npos);
  WriteAll(dir_ + "/alternate-1.pem", alt.substr(split) + alt.substr(0, split));
  auto again = Load();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type, core::ErrorType::kInternal);
  EXPECT_NE(again.error().detail.find("alternate-1.pem"), std::string::npos)
      << again.error().detail;
}

TEST_F(CaFilesTest, ShapeOutOfBoundsIsMalformed) {
  for (CaShape shape : {CaShape{0, 0}, CaShape{9, 0}, CaShape{1, -1}, CaShape{1, 9}}) {
    auto ca = LoadOrCreateCa(dir_, {}, clock_, random_, {}, shape);
    ASSERT_FALSE(ca.ok());
    EXPECT_EQ(ca.error().type, core::ErrorType::kMalformed);
  }
}

}  // namespace
}  // namespace flint::ca
