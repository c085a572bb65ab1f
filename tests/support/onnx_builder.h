#pragma once
// Small ONNX models built in the tests with ONNX's C++ protobuf API (no exporter, no Python):
// one graph input, initializers, nodes and one output, saved to a temporary file.

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace ll::test {

class OnnxBuilder {
public:
    /// `input`: the input's dimensions; 0 makes a dimension dynamic (named "N", "H", ...).
    explicit OnnxBuilder(std::vector<std::int64_t> input, int opset = 13,
                         const std::string& inputName = "x") {
        m_model.set_ir_version(7);
        m_model.set_producer_name("layerlens-tests");
        auto* o = m_model.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        auto* g = m_model.mutable_graph();
        g->set_name("test");
        auto* in = g->add_input();
        in->set_name(inputName);
        auto* t = in->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        const char* names[] = {"N", "C", "H", "W"};
        for (std::size_t i = 0; i < input.size(); ++i) {
            auto* d = t->mutable_shape()->add_dim();
            if (input[i] > 0)
                d->set_dim_value(input[i]);
            else
                d->set_dim_param(names[i % 4]);
        }
    }

    onnx::ModelProto& model() { return m_model; }
    onnx::GraphProto& graph() { return *m_model.mutable_graph(); }

    /// A float initializer (raw_data, as PyTorch writes them, unless `typed`).
    onnx::TensorProto& init(const std::string& name, std::vector<std::int64_t> dims,
                            const std::vector<float>& values, bool typed = false) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (auto d : dims)
            t->add_dims(d);
        if (typed) {
            for (float v : values)
                t->add_float_data(v);
        } else {
            t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()),
                                        values.size() * sizeof(float)));
        }
        return *t;
    }
    onnx::TensorProto& initInts(const std::string& name, const std::vector<std::int64_t>& values) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<std::int64_t>(values.size()));
        for (auto v : values)
            t->add_int64_data(v);
        return *t;
    }

    onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
        auto* n = graph().add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const auto& s : inputs)
            n->add_input(s);
        for (const auto& s : outputs)
            n->add_output(s);
        return *n;
    }

    static void ints(onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v)
            a->add_ints(x);
    }
    static void i(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void f(onnx::NodeProto& n, const std::string& name, float v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void s(onnx::NodeProto& n, const std::string& name, const std::string& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(v);
    }

    void output(const std::string& name) {
        auto* o = graph().add_output();
        o->set_name(name);
        auto* t = o->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        t->mutable_shape();  // the checker wants a shape, even one without dimensions
    }

    /// Saves to a temporary file named after the running test and returns its path.
    std::string save(const std::string& suffix = "") {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        const std::string path = ::testing::TempDir() + "/ll_onnx_" + info->test_suite_name() +
                                 "_" + info->name() + suffix + ".onnx";
        return saveTo(path);
    }
    std::string saveTo(const std::string& path) const {
        std::ofstream out(path, std::ios::binary);
        m_model.SerializeToOstream(&out);
        return path;
    }

private:
    onnx::ModelProto m_model;
};

}  // namespace ll::test
