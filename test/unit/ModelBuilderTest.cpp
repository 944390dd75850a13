// onnx_io::ModelBuilder: value and node names, constants, outputs, errors.
#include <gtest/gtest.h>

#include "frontend/onnx/ModelBuilder.h"

#include "onnx/onnx_pb.h"

namespace dlc::onnx_io {
namespace {

rt::HostTensor scalar(float v) {
  rt::HostTensor t(rt::TensorType{rt::DType::F32, {}});
  *t.as<float>() = v;
  return t;
}

TEST(ModelBuilder, NamesNodesAndOutputsFreshly) {
  ModelBuilder b("g", 17);
  b.addInput("x", rt::DType::F32, {Dim::symbolic("n"), Dim::fixed(4)});
  auto r1 = b.addNode("Relu", {"x"}, 1);
  auto r2 = b.addNode("Relu", {r1[0]}, 1);
  EXPECT_EQ(r1[0], "Relu");
  EXPECT_EQ(r2[0], "Relu_1");
  auto named = b.addNode("Neg", {"x"}, 2, {}, "h");
  EXPECT_EQ(named, (std::vector<std::string>{"h_0", "h_1"}));
  EXPECT_EQ(b.freshName("x"), "x_1");
  std::string c = b.addConstant(scalar(2), "c");
  EXPECT_EQ(c, "c");
  EXPECT_EQ(b.addConstant(scalar(3), "c"), "c_1");

  const auto& g = b.model().graph();
  EXPECT_EQ(g.node(0).name(), "Relu");
  EXPECT_EQ(g.node(1).name(), "Relu_1");
  EXPECT_EQ(g.node(2).name(), "h");
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(0).dim_param(), "n");
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(1).dim_value(), 4);
  EXPECT_EQ(b.model().opset_import(0).version(), 17);
}

TEST(ModelBuilder, RenamedOutputGoesThroughIdentity) {
  ModelBuilder b("g");
  b.addInput("x", rt::DType::F32, {Dim::fixed(2)});
  auto r = b.addNode("Relu", {"x"}, 1, {}, "y");
  b.addOutput(r[0], "y", rt::DType::F32);  // same name: no Identity
  b.addOutput(r[0], "z", rt::DType::F32);
  const auto& g = b.model().graph();
  ASSERT_EQ(g.node_size(), 2);
  EXPECT_EQ(g.node(1).op_type(), "Identity");
  EXPECT_EQ(g.node(1).input(0), "y");
  EXPECT_EQ(g.node(1).output(0), "z");
  ASSERT_EQ(g.output_size(), 2);
  EXPECT_EQ(g.output(1).name(), "z");
  EXPECT_EQ(g.output(1).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
}

TEST(ModelBuilder, MisuseIsAnError) {
  ModelBuilder b("g");
  b.addInput("x", rt::DType::F32, {Dim::fixed(2)});
  EXPECT_THROW(b.addInput("x", rt::DType::F32, {}), BuildError);
  EXPECT_THROW(b.addInitializer("x", scalar(1)), BuildError);
  EXPECT_THROW(b.addNode("Relu", {"nope"}, 1), BuildError);
  EXPECT_THROW(b.addOutput("nope", "y", rt::DType::F32), BuildError);
  b.addOutput("x", "y", rt::DType::F32);
  EXPECT_THROW(b.addOutput("x", "y", rt::DType::F32), BuildError);
}

TEST(ModelBuilder, AttributesAndMetadata) {
  ModelBuilder b("g");
  b.addInput("x", rt::DType::F32, {Dim::fixed(2)});
  b.addNode("Foo", {"x"}, 1,
            {Attr::integer("i", 3), Attr::real("f", 0.5), Attr::string("s", "v"), Attr::integers("is", {1, 2}),
             Attr::reals("fs", {1.5}), Attr::strs("ss", {"a", "b"}), Attr::tensorValue("t", scalar(4))});
  b.setMetadata("k", "1");
  b.setMetadata("k", "2");
  const auto& n = b.model().graph().node(0);
  ASSERT_EQ(n.attribute_size(), 7);
  EXPECT_EQ(n.attribute(0).i(), 3);
  EXPECT_FLOAT_EQ(n.attribute(1).f(), 0.5f);
  EXPECT_EQ(n.attribute(2).s(), "v");
  EXPECT_EQ(n.attribute(3).ints_size(), 2);
  EXPECT_EQ(n.attribute(5).strings(1), "b");
  EXPECT_EQ(n.attribute(6).type(), onnx::AttributeProto::TENSOR);
  ASSERT_EQ(b.model().metadata_props_size(), 1);
  EXPECT_EQ(b.model().metadata_props(0).value(), "2");
}

}  // namespace
}  // namespace dlc::onnx_io
