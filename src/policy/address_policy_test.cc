#include "policy/address_policy.h"

#include <gtest/gtest.h>

namespace flint::policy {
namespace {

struct Case {
  std::string_view ip;
  bool is_public;
};

class IsPublicAddressTest : public ::testing::TestWithParam<Case> {};

TEST_P(IsPublicAddressTest, Classifies) {
  EXPECT_EQ(IsPublicAddress(GetParam().ip), GetParam().is_public) << GetParam().ip;
}

INSTANTIATE_TEST_SUITE_P(
    Table, IsPublicAddressTest,
    ::testing::Values(
        // Public.
        Case{"8.8.8.8", true}, Case{"1.1.1.1", true}, Case{"2606:4700::1111", true},
        Case{"2a00:1450:4001:80b::200e", true}, Case{"100.63.255.255", true},
        Case{"100.128.0.0", true}, Case{"172.15.255.255", true}, Case{"172.32.0.0", true},
        Case{"198.17.255.255", true}, Case{"198.20.0.0", true}, Case{"223.255.255.255", true},
        Case{"::ffff:8.8.8.8", true}, Case{"64:ff9b::808:808", true},
        // IPv4 special-purpose.
        Case{"0.0.0.0", false}, Case{"0.1.2.3", false}, Case{"10.0.0.1", false},
        Case{"10.255.255.255", false}, Case{"100.64.0.1", false}, Case{"100.127.255.255", false},
        Case{"127.0.0.1", false}, Case{"127.255.255.254", false}, Case{"169.254.169.254", false},
        Case{"172.16.0.1", false}, Case{"172.31.255.255", false}, Case{"192.0.0.8", false},
        Case{"192.0.2.1", false}, Case{"192.88.99.1", false}, Case{"192.168.1.1", false},
        Case{"198.18.0.1", false}, Case{"198.19.255.255", false}, Case{"198.51.100.7", false},
        Case{"203.0.113.9", false}, Case{"224.0.0.1", false}, Case{"239.255.255.250", false},
        Case{"240.0.0.1", false}, Case{"255.255.255.255", false},
        // IPv6 special-purpose.
        Case{"::", false}, Case{"::1", false}, Case{"fc00::1", false}, Case{"fd12:3456::1", false},
        Case{"fe80::1", false}, Case{"febf::1", false}, Case{"fec0::1", false},
        Case{"ff02::1", false}, Case{"ff0e::1", false}, Case{"2001:db8::1", false},
        Case{"2001:0:4136:e378::1", false}, Case{"2002:c000:0204::1", false},
        Case{"3fff::1", false}, Case{"5f00::1", false}, Case{"100::1", false},
        Case{"64:ff9b:1::1", false}, Case{"4000::1", false},
        // IPv4 embedded in IPv6 is judged by the IPv4 address.
        Case{"::ffff:127.0.0.1", false}, Case{"::ffff:10.1.2.3", false},
        Case{"::ffff:169.254.169.254", false}, Case{"64:ff9b::7f00:1", false},
        Case{"64:ff9b::192.168.0.1", false}, Case{"::127.0.0.1", false},
        // Not addresses at all.
        Case{"", false}, Case{"example.com", false}, Case{"1.2.3", false},
        Case{"[::1]", false}, Case{"fe80::1%eth0", false}, Case{"8.8.8.8 ", false},
        Case{std::string_view("8.8.8.8\0x", 9), false}));

TEST(CanonicalIpTest, NormalizesText) {
  EXPECT_EQ(CanonicalIp("2001:DB8:0::1"), "2001:db8::1");
  EXPECT_EQ(CanonicalIp("::FFFF:1.2.3.4"), "::ffff:1.2.3.4");
  EXPECT_EQ(CanonicalIp("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(CanonicalIp("127.1"), std::nullopt);
  EXPECT_EQ(CanonicalIp("example.com"), std::nullopt);
  EXPECT_EQ(CanonicalIp(std::string_view("127.0.0.1\0x", 11)), std::nullopt);
  EXPECT_EQ(CanonicalIp(""), std::nullopt);
}

TEST(IsIpv4MappedTest, OnlyTheMappedBlock) {
  EXPECT_TRUE(IsIpv4Mapped("::ffff:1.2.3.4"));
  EXPECT_TRUE(IsIpv4Mapped("::FFFF:0102:0304"));
  EXPECT_FALSE(IsIpv4Mapped("1.2.3.4"));
  EXPECT_FALSE(IsIpv4Mapped("::1.2.3.4"));
  EXPECT_FALSE(IsIpv4Mapped("64:ff9b::102:304"));
  EXPECT_FALSE(IsIpv4Mapped("::fffe:1.2.3.4"));
  EXPECT_FALSE(IsIpv4Mapped("example.com"));
}

TEST(IsIpv6Test, Families) {
  EXPECT_TRUE(IsIpv6("2001:db8::1"));
  EXPECT_TRUE(IsIpv6("::ffff:1.2.3.4"));
  EXPECT_FALSE(IsIpv6("1.2.3.4"));
  EXPECT_FALSE(IsIpv6("[::1]"));
}

}  // namespace
}  // namespace flint::policy
