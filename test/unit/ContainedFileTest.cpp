// openContained (frontend/onnx/ContainedFile.h): files a model names are
// opened inside its folder only, also when a symlink is swapped in while
// the path is being walked.
#include "frontend/onnx/ContainedFile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using dlc::onnx_io::ContainedFileError;
using dlc::onnx_io::FileDescriptor;
using dlc::onnx_io::openContained;
using Kind = ContainedFileError::Kind;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// root/secret.bin (outside), root/m/ (the model's folder) with w.bin and
// sub/v.bin.
class ContainedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dlc-contained-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root = tmpl;
    m = root / "m";
    fs::create_directories(m / "sub");
    write(root / "secret.bin", "SECRET");
    write(m / "w.bin", "inside");
    write(m / "sub" / "v.bin", "nested");
  }
  void TearDown() override { fs::remove_all(root); }

  // The content openContained reads, or the kind of its refusal as text.
  std::string open(const std::string& rel, const dlc::onnx_io::BeforeComponentHook& hook = {}) {
    try {
      FileDescriptor fd = openContained(m.string(), rel, hook);
      return dlc::onnx_io::readRange(fd.get(), 0, dlc::onnx_io::fileSize(fd.get()));
    } catch (const ContainedFileError& e) {
      return "refused " + std::to_string(static_cast<int>(e.kind)) + ": " + e.what();
    }
  }
  static std::string refused(Kind k) { return "refused " + std::to_string(static_cast<int>(k)) + ": "; }

  fs::path root, m;
};

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST_F(ContainedFileTest, ReadsFilesInside) {
  EXPECT_EQ(open("w.bin"), "inside");
  EXPECT_EQ(open("sub/v.bin"), "nested");
  EXPECT_EQ(open("./sub//v.bin"), "nested");
}

TEST_F(ContainedFileTest, FollowsSymlinksThatStayInside) {
  fs::create_symlink("w.bin", m / "link.bin");
  fs::create_symlink("../w.bin", m / "sub" / "up.bin");  // sub/.. is still inside
  fs::create_symlink("sub", m / "dir");
  fs::create_symlink(fs::canonical(m) / "sub" / "v.bin", m / "abs.bin");
  EXPECT_EQ(open("link.bin"), "inside");
  EXPECT_EQ(open("sub/up.bin"), "inside");
  EXPECT_EQ(open("dir/v.bin"), "nested");
  EXPECT_EQ(open("abs.bin"), "nested");
}

TEST_F(ContainedFileTest, RefusesNamesAndSymlinksThatLeave) {
  fs::create_symlink("../secret.bin", m / "out.bin");
  fs::create_symlink("..", m / "d");
  fs::create_symlink("/etc/passwd", m / "passwd");
  fs::create_symlink(fs::canonical(root) / "secret.bin", m / "abs-out.bin");
  fs::create_symlink("../../secret.bin", m / "sub" / "out2.bin");
  EXPECT_TRUE(startsWith(open("../secret.bin"), refused(Kind::DotDot)));
  EXPECT_TRUE(startsWith(open("sub/../../secret.bin"), refused(Kind::DotDot)));
  EXPECT_TRUE(startsWith(open("/etc/passwd"), refused(Kind::Absolute)));
  EXPECT_TRUE(startsWith(open("out.bin"), refused(Kind::Leaves)));
  EXPECT_TRUE(startsWith(open("d/secret.bin"), refused(Kind::Leaves)));
  EXPECT_TRUE(startsWith(open("passwd"), refused(Kind::Leaves)));
  EXPECT_TRUE(startsWith(open("abs-out.bin"), refused(Kind::Leaves)));
  EXPECT_TRUE(startsWith(open("sub/out2.bin"), refused(Kind::Leaves)));
}

TEST_F(ContainedFileTest, RefusesWhatIsNotARegularFile) {
  ASSERT_EQ(::mkfifo((m / "pipe").c_str(), 0600), 0);
  fs::create_symlink("a", m / "b");
  fs::create_symlink("b", m / "a");
  fs::create_symlink(".", m / "self");
  EXPECT_TRUE(startsWith(open("pipe"), refused(Kind::NotRegular)));  // and does not block
  EXPECT_TRUE(startsWith(open("sub"), refused(Kind::NotRegular)));
  EXPECT_TRUE(startsWith(open("self"), refused(Kind::NotRegular)));
  EXPECT_TRUE(startsWith(open("nope.bin"), refused(Kind::Missing)));
  EXPECT_TRUE(startsWith(open("w.bin/x"), refused(Kind::Missing)));
  EXPECT_TRUE(startsWith(open("a"), refused(Kind::Unreadable)));  // a symlink loop
}

// The race a check-then-open has: the file is checked while it is a
// regular file inside, then swapped for a symlink that leaves before the
// open. Here the swap happens right before each component is opened.
TEST_F(ContainedFileTest, ASymlinkSwappedInDuringTheWalkDoesNotEscape) {
  auto swapFile = [&](int, const std::string& name) {
    if (name != "w.bin") return;
    fs::remove(m / "w.bin");
    fs::create_symlink("../secret.bin", m / "w.bin");
  };
  EXPECT_TRUE(startsWith(open("w.bin", swapFile), refused(Kind::Leaves)));

  auto swapFolder = [&](int, const std::string& name) {
    if (name != "sub" || fs::is_symlink(m / "sub")) return;
    fs::rename(m / "sub", m / "sub.old");
    fs::create_symlink("..", m / "sub");
    write(root / "v.bin", "ESCAPED");
  };
  EXPECT_TRUE(startsWith(open("sub/v.bin", swapFolder), refused(Kind::Leaves)));
}

// A folder swapped after it was opened is not followed: the walk goes on
// from the descriptor it holds.
TEST_F(ContainedFileTest, AFolderMovedAfterItWasOpenedKeepsTheWalkInside) {
  fs::create_symlink("../w.bin", m / "sub" / "up.bin");
  auto moveSub = [&](int, const std::string& name) {
    if (name != "up.bin") return;
    fs::create_directories(root / "elsewhere");
    fs::rename(m / "sub", root / "elsewhere" / "sub");
    write(root / "elsewhere" / "w.bin", "ESCAPED");
  };
  // sub/.. is the folder the walk came from (m), not sub's new parent.
  EXPECT_EQ(open("sub/up.bin", moveSub), "inside");
}

}  // namespace
