// A text-like classifier: an EmbeddingBag over variable-length token
// sequences, batches that are not (input, target) pairs, auto_fit end to end.
// The "documents" are synthetic: each class favours its own slice of the
// vocabulary, so the model has something to learn.
//
//   build/examples/text_classifier [epochs]

#include <autolr/auto_fit.h>
#include <autolr/trainer.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr int64_t kVocabulary = 1000;
constexpr int64_t kClasses = 4;

// One batch of documents, flattened as EmbeddingBag wants: tokens + offsets.
autolr::Batch make_batch(int64_t documents) {
  std::vector<torch::Tensor> tokens;
  std::vector<int64_t> offsets;
  const auto labels = torch::randint(0, kClasses, {documents}, torch::kLong);
  int64_t position = 0;
  for (int64_t d = 0; d < documents; ++d) {
    const int64_t length = torch::randint(5, 40, {1}).item<int64_t>();
    const int64_t label = labels[d].item<int64_t>();
    // Half the words from the class's own quarter of the vocabulary, half from anywhere.
    auto own = torch::randint(label * kVocabulary / kClasses, (label + 1) * kVocabulary / kClasses, {length / 2});
    auto any = torch::randint(0, kVocabulary, {length - length / 2});
    tokens.push_back(torch::cat({own, any}).to(torch::kLong));
    offsets.push_back(position);
    position += length;
  }
  autolr::Batch batch;
  batch.inputs["tokens"] = torch::cat(tokens);
  batch.inputs["offsets"] = torch::tensor(offsets, torch::kLong);
  batch.target = labels;
  return batch;
}

struct ClassifierImpl : torch::nn::Module {
  ClassifierImpl()
      : bag(register_module(
            "bag", torch::nn::EmbeddingBag(torch::nn::EmbeddingBagOptions(kVocabulary, 32).mode(torch::kMean)))),
        head(register_module("head", torch::nn::Linear(32, kClasses))) {}
  torch::nn::EmbeddingBag bag;
  torch::nn::Linear head;
};
TORCH_MODULE(Classifier);

}  // namespace

int main(int argc, char** argv) {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 3;
  torch::manual_seed(0);
  std::vector<autolr::Batch> train, valid;
  for (int i = 0; i < 60; ++i) train.push_back(make_batch(32));
  for (int i = 0; i < 8; ++i) valid.push_back(make_batch(64));

  Classifier model;
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  autolr::Trainer trainer(
      model.ptr(),
      [&](const autolr::Batch& b) { return model->head(model->bag(b.inputs.at("tokens"), b.inputs.at("offsets"))); },
      optimizer,
      [](const torch::Tensor& output, const autolr::Batch& b) {
        return torch::nn::functional::cross_entropy(output, b.target);
      },
      autolr::batches(train), autolr::TrainerOptions().progress(false));
  trainer.set_validation_data(autolr::batches(valid));
  trainer.set_metric(autolr::accuracy());
  const autolr::AutoFitReport report =
      autolr::auto_fit(trainer, epochs, autolr::AutoFitOptions().method(autolr::Method::Minimum));
  return report.trained && *report.history.back().metric > 0.5 ? 0 : 1;
}
