#include "record_printer.h"

#include <fmt/format.h>

#include "cli.h"
#include "kds/api/shapes.h"
#include "kds/shard_id.h"
#include "kds/timestamp.h"
#include "text.h"

namespace kds::cli {

void add_record_output_options(CLI::App& app, RecordOutputOptions* options) {
  app.add_option("-D,--delimiter", options->delimiter,
                 "Print DELIM after each record's data (escapes \\n \\t \\0 \\xHH)")
      ->type_name("DELIM");
  app.add_flag("-0", options->nul, "Print a NUL byte after each record's data (as -D '\\0')");
  app.add_option("-f,--format", options->format,
                 "Print each record with a template: %s data, %S data size, %k key, %K key size, %t stream, "
                 "%p shard id, %o sequence number, %T arrival ms, %% percent, and the escapes of -D")
      ->type_name("FMT");
  add_output_option(app, &options->output);
  app.add_flag("-u,--unbuffered", options->unbuffered, "Write each record out as soon as it is printed");
}

OutputRecord output_record(std::string_view stream, uint32_t shard_index, const ReadRecord& record) {
  OutputRecord output;
  output.stream = stream;
  output.shard_index = shard_index;
  output.offset = record.offset;
  output.arrival_ms = record.arrival_ms;
  output.key = record.key;
  output.data = record.data;
  output.encrypted = record.encrypted;
  return output;
}

RecordPrinter RecordPrinter::from_options(const CLI::App& app, const RecordOutputOptions& options) {
  RecordPrinter printer;
  const bool has_delimiter = app.count("--delimiter") > 0 || options.nul;
  const bool has_format = app.count("--format") > 0;
  if (app.count("--delimiter") > 0 && options.nul)
    throw UsageError("-0 and --delimiter cannot be used together");
  if (options.output == "json" && (has_format || has_delimiter)) {
    throw UsageError("--output json cannot be combined with --format, --delimiter or -0");
  }
  if (has_format && has_delimiter) throw UsageError("--format cannot be combined with --delimiter or -0");
  if (options.output == "json") {
    printer.mode_ = Mode::kJson;
  } else if (has_format) {
    printer.mode_ = Mode::kTemplate;
    auto decoded = decode_escapes(options.format);
    if (!decoded) throw UsageError("--format: bad escape sequence in '" + options.format + "'");
    std::string literal;
    auto flush_literal = [&] {
      if (!literal.empty()) printer.parts_.push_back({Token::kLiteral, std::move(literal)});
      literal.clear();
    };
    for (size_t i = 0; i < decoded->size(); ++i) {
      if ((*decoded)[i] != '%') {
        literal += (*decoded)[i];
        continue;
      }
      if (++i == decoded->size()) throw UsageError("--format: '%' at the end of the template");
      Token token;
      switch ((*decoded)[i]) {
        case '%':
          literal += '%';
          continue;
        case 's':
          token = Token::kData;
          break;
        case 'S':
          token = Token::kDataSize;
          break;
        case 'k':
          token = Token::kKey;
          break;
        case 'K':
          token = Token::kKeySize;
          break;
        case 't':
          token = Token::kStream;
          break;
        case 'p':
          token = Token::kShard;
          break;
        case 'o':
          token = Token::kSequence;
          break;
        case 'T':
          token = Token::kTimestamp;
          break;
        default:
          throw UsageError(fmt::format("--format: unknown token '%{}'", (*decoded)[i]));
      }
      flush_literal();
      printer.parts_.push_back({token, {}});
    }
    flush_literal();
  } else {
    printer.mode_ = Mode::kData;
    if (options.nul) {
      printer.delimiter_ = std::string(1, '\0');
    } else {
      auto decoded = decode_escapes(options.delimiter);
      if (!decoded) throw UsageError("--delimiter: bad escape sequence in '" + options.delimiter + "'");
      printer.delimiter_ = std::move(*decoded);
    }
  }
  return printer;
}

void RecordPrinter::print(const OutputRecord& record, std::string* out) const {
  switch (mode_) {
    case Mode::kData:
      out->append(record.data);
      out->append(delimiter_);
      return;
    case Mode::kJson:
      if (!record.sequence_number.empty()) {
        api::append_record_json(record.sequence_number, record.arrival_ms, record.key, record.data,
                                record.encrypted, record.shard_id, out);
      } else {
        api::append_record_json(
            {record.shard_index, record.offset, record.arrival_ms, record.key, record.data, record.encrypted},
            true, out);
      }
      *out += '\n';
      return;
    case Mode::kTemplate:
      for (const Part& part : parts_) {
        switch (part.token) {
          case Token::kLiteral:
            *out += part.literal;
            break;
          case Token::kData:
            out->append(record.data);
            break;
          case Token::kDataSize:
            fmt::format_to(std::back_inserter(*out), "{}", record.data.size());
            break;
          case Token::kKey:
            out->append(record.key);
            break;
          case Token::kKeySize:
            fmt::format_to(std::back_inserter(*out), "{}", record.key.size());
            break;
          case Token::kStream:
            out->append(record.stream);
            break;
          case Token::kShard:
            if (!record.shard_id.empty())
              out->append(record.shard_id);
            else
              *out += shard_id_string(record.shard_index);
            break;
          case Token::kSequence:
            if (!record.sequence_number.empty())
              out->append(record.sequence_number);
            else
              *out += to_decimal(make_sequence_number(record.shard_index, record.offset));
            break;
          case Token::kTimestamp:
            fmt::format_to(std::back_inserter(*out), "{}", record.arrival_ms);
            break;
        }
      }
      return;
  }
}

}  // namespace kds::cli
