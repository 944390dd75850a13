// The host device's run-time checks: the signature, and inputs the compiler
// specialised on (dlc run compiles with the values it is given).
#include "runtime/host/HostDevice.h"

#include "TestUtil.h"

namespace dlc::rt::test {
namespace {

// y = reshape(x) with a second input `shape` that the compiler consumed as a
// constant: the program only passes x through.
Program specializedReshape(const HostTensor& shapeValue) {
  Program p;
  ValueInfo x;
  x.type = TensorType{DType::F32, {2, 3}};
  x.kind = ValueKind::Input;
  x.inputIndex = 0;
  x.name = "x";
  ValueInfo shape;
  shape.type = shapeValue.type();
  shape.kind = ValueKind::Input;
  shape.inputIndex = 1;
  shape.name = "shape";
  shape.isSpecialized = true;
  shape.specialized = HostTensor(shapeValue.type(), shapeValue.data());
  ValueInfo y;
  y.type = TensorType{DType::F32, {3, 2}};
  p.values.push_back(std::move(x));
  p.values.push_back(std::move(shape));
  p.values.push_back(std::move(y));
  Instr reshape;
  reshape.op = OpCode::Reshape;
  reshape.operands = {0};
  reshape.result = 2;
  p.instrs.push_back(std::move(reshape));
  p.inputs = {0, 1};
  p.outputs = {2};
  return p;
}

TEST(HostDeviceTest, SpecializedInputAcceptsItsValue) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> out = runOnHost(p, inputs);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type(), (TensorType{DType::F32, {3, 2}}));
  EXPECT_EQ(values(out[0]), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(HostDeviceTest, SpecializedInputRefusesAnotherValue) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {2, 3}));
  try {
    runOnHost(p, inputs);
    FAIL() << "a different value of a specialised input was accepted";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("'shape'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("specialised"), std::string::npos) << e.what();
  }
}

TEST(HostDeviceTest, WrongInputTypeIsRefused) {
  Program p = specializedReshape(makeTensor(DType::I64, {2}, {3, 2}));
  std::vector<HostTensor> inputs;
  inputs.push_back(makeTensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}));
  inputs.push_back(makeTensor(DType::I64, {2}, {3, 2}));
  EXPECT_THROW(runOnHost(p, inputs), RunError);
}

}  // namespace
}  // namespace dlc::rt::test
