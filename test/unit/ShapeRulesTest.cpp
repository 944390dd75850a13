// The shape rules that the verifiers and the frontends share.
#include <gtest/gtest.h>

#include "ir/ShapeRules.h"

namespace dlc {
namespace {

Dims ok(const ShapeOr& s) {
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.message());
  return s.ok() ? s.shape() : Dims{};
}

std::string err(const ShapeOr& s) {
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.message();
}

TEST(ShapeRules, DotGeneralOrdersBatchThenLhsThenRhsFreeDims) {
  // [b=5, m=2, k=3] x [b=5, n=4, k=3] contracting k: [5, 2, 4].
  EXPECT_EQ(ok(inferDotGeneral({5, 2, 3}, {5, 4, 3}, {0}, {0}, {2}, {2})), (Dims{5, 2, 4}));
  // Transposed lhs [k, m] x [k, n].
  EXPECT_EQ(ok(inferDotGeneral({3, 2}, {3, 4}, {}, {}, {0}, {0})), (Dims{2, 4}));
  EXPECT_NE(err(inferDotGeneral({2, 3}, {4, 5}, {}, {}, {1}, {0})).find("does not match"),
            std::string::npos);
  EXPECT_NE(err(inferDotGeneral({2, 3}, {3, 5}, {0}, {}, {1}, {0})).find("batch"), std::string::npos);
}

TEST(ShapeRules, ConvolutionOutputSize) {
  // 224 input, 7x7 kernel, stride 2, pad 3: (224 + 6 - 7) / 2 + 1 = 112.
  EXPECT_EQ(ok(inferConvolution({1, 3, 224, 224}, {64, 3, 7, 7}, {2, 2}, {3, 3}, {3, 3}, {1, 1}, 1)),
            (Dims{1, 64, 112, 112}));
  // Dilation 2 makes a 3x3 kernel span 5.
  EXPECT_EQ(ok(inferConvolution({1, 4, 9, 9}, {8, 2, 3, 3}, {1, 1}, {0, 0}, {0, 0}, {2, 2}, 2)),
            (Dims{1, 8, 5, 5}));
  EXPECT_NE(err(inferConvolution({1, 3, 4, 4}, {1, 3, 9, 9}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, 1))
                .find("larger than the padded input"),
            std::string::npos);
  EXPECT_NE(err(inferConvolution({1, 3, 8, 8}, {4, 2, 3, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, 1))
                .find("input channels per group"),
            std::string::npos);
}

TEST(ShapeRules, ReduceWindowAndPad) {
  EXPECT_EQ(ok(inferReduceWindow({1, 1, 5, 5}, {1, 1, 2, 2}, {1, 1, 2, 2}, {0, 0, 0, 0},
                                 {0, 0, 1, 1}, {1, 1, 1, 1})),
            (Dims{1, 1, 3, 3}));
  // Negative edge padding crops; interior padding inserts between elements.
  EXPECT_EQ(ok(inferPad({4}, {-1}, {2}, {1})), (Dims{4 + 3 - 1 + 2}));
  EXPECT_EQ(ok(inferPad({0}, {1}, {1}, {3})), (Dims{2}));
  EXPECT_NE(err(inferPad({2}, {-5}, {0}, {0})).find("negative size"), std::string::npos);
}

TEST(ShapeRules, DataMovement) {
  EXPECT_EQ(ok(inferTranspose({2, 3, 4}, {2, 0, 1})), (Dims{4, 2, 3}));
  EXPECT_NE(err(inferTranspose({2, 3}, {0, 0})).find("repeats"), std::string::npos);
  EXPECT_EQ(ok(inferSlice({10}, {1}, {8}, {3})), (Dims{3}));  // 1, 4, 7
  EXPECT_EQ(ok(inferConcatenate({{2, 3}, {2, 5}}, 1)), (Dims{2, 8}));
  EXPECT_EQ(ok(inferGather({5, 6, 7}, {2, 3}, 1)), (Dims{5, 2, 3, 7}));
  EXPECT_EQ(ok(inferGather({5}, {}, 0)), (Dims{}));
  EXPECT_EQ(ok(inferReduce({2, 3, 4}, {0, 2})), (Dims{3}));
  EXPECT_NE(err(inferReduce({2, 3}, {1, 0})).find("sorted"), std::string::npos);
  EXPECT_EQ(ok(checkBroadcastInDim({1, 3}, {0, 2}, {4, 5, 3})), (Dims{4, 5, 3}));
  EXPECT_NE(err(checkBroadcastInDim({2}, {0}, {3})).find("cannot broadcast"), std::string::npos);
}

}  // namespace
}  // namespace dlc
