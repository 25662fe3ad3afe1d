# Volt build. `make demo` and `make check` are the two README commands.
CC ?= gcc
BUILD ?= build
PREFIX ?= /usr/local
VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS := yajl libseccomp libcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# volt-run links statically by default: no dynamic loader work on every
# start (it runs twice per invocation because of the sealed re-exec).
STATIC ?= 1
ifeq ($(STATIC),1)
PKG_LIBS := -static -lyajl_s -lseccomp -lcap
else
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyajl -lseccomp -lcap)
endif

OPT ?= -O2
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-fno-strict-aliasing -I. $(PKG_CFLAGS) \
	-DVOLT_VERSION='"$(VERSION)"' -DVOLT_COMMIT='"$(COMMIT)"'
LDFLAGS ?=
LDLIBS := $(PKG_LIBS)

OCI_SRC := $(sort $(wildcard oci/*.c))
RT_SRC := $(sort $(wildcard runtime/*.c))
CLI_SRC := $(sort $(wildcard runtime/cli/*.c))
SD_SRC := $(sort $(wildcard stardust/vmm/*.c stardust/vmm/virtio/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))

OCI_OBJ := $(OCI_SRC:%.c=$(BUILD)/obj/%.o)
RT_OBJ := $(RT_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SD_OBJ := $(SD_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIBOCI := $(BUILD)/liboci.a
LIBVOLT := $(BUILD)/libvolt.a
# Stardust's monitor library (the KVM microVM backend); empty until it has sources.
LIBSD := $(BUILD)/libstardust.a

# Named profiles (profiles/<kind>/<name>.json) built into libvolt, so a bare
# binary has them; the directories are prerequisites so that a removed
# profile regenerates the table too.
PROFILE_JSON := $(sort $(wildcard profiles/*/*.json))
PROFILE_GEN := $(BUILD)/gen/profiles-embedded.c
PROFILE_OBJ := $(BUILD)/obj/gen/profiles-embedded.o

.PHONY: all deps deps-engines demo check test unit bats check-asan bench format install clean bundle

# The Stardust monitor binary and its KVM smoke test (static, like volt-run:
# the e2e test copies them into a bare initramfs).
STARDUST_CLI := $(BUILD)/stardust-vmm
SD_KVM_SMOKE := $(BUILD)/sd-kvm-smoke

all: $(BUILD)/volt-run $(BUILD)/volt-probe $(UNIT_BIN) $(STARDUST_CLI) $(SD_KVM_SMOKE)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBOCI): $(OCI_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(PROFILE_GEN): scripts/embed-profiles.sh $(PROFILE_JSON) $(wildcard profiles/*/)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@./scripts/embed-profiles.sh $@ profiles

$(PROFILE_OBJ): $(PROFILE_GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBVOLT): $(RT_OBJ) $(PROFILE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBSD): $(SD_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/volt-run: $(CLI_OBJ) $(LIBVOLT) $(LIBOCI)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

$(STARDUST_CLI): $(BUILD)/obj/stardust/cli/stardust-vmm.o $(LIBSD) $(LIBVOLT) $(LIBOCI)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBSD) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

$(SD_KVM_SMOKE): tests/stardust/kvm-smoke.c $(LIBSD) $(LIBVOLT) $(LIBOCI)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBSD) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

# The static helper that tests run inside containers (no libc in the rootfs).
$(BUILD)/volt-probe: tests/helpers/volt-probe.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBSD) $(LIBVOLT) $(LIBOCI)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBSD) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

deps:
	./scripts/install-deps.sh

# podman, conmon, containerd for the end-to-end engine tests (make check).
deps-engines:
	./scripts/install-engine-deps.sh
	./scripts/stardust-e2e-deps.sh

# Stardust end to end: qemu TCG (SVM exposed) -> L1 with kvm_amd -> the
# KVM smoke test and stardust-vmm booting L2 (tests/stardust/run-e2e.sh).
.PHONY: stardust-e2e
stardust-e2e:
	./scripts/stardust-e2e-deps.sh
	$(MAKE) all
	./tests/stardust/run-e2e.sh $(BUILD)

bundle: $(BUILD)/volt-probe
	./scripts/make-bundle.sh $(BUILD)/bundle

# README command 1: install what is missing, build, run a busybox container.
demo: deps
	$(MAKE) all bundle
	./scripts/demo.sh $(BUILD)

unit: $(UNIT_BIN)
	@./tests/run-unit.sh $(UNIT_BIN)

bats: all bundle
	./tests/run-bats.sh

# README command 2: install what is missing, build, run every test.
check: deps deps-engines
	$(MAKE) all bundle
	./tests/run-all.sh $(BUILD)

test: all bundle
	./tests/run-all.sh $(BUILD)

check-asan:
	$(MAKE) BUILD=build-asan STATIC=0 OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined" \
		LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1 ./tests/run-unit.sh $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BIN))

bench: deps
	$(MAKE) all bundle
	./bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

install: all
	install -D -m 0755 $(BUILD)/volt-run $(DESTDIR)$(PREFIX)/bin/volt-run
	@for f in $(PROFILE_JSON); do \
		echo install -D -m 0644 $$f $(DESTDIR)/etc/volt/$$f; \
		install -D -m 0644 $$f $(DESTDIR)/etc/volt/$$f || exit 1; \
	done

clean:
	rm -rf build build-asan

# Stardust's shim and guest init (issue 5). The shim code goes into libvolt:
# runtime/backend-stardust.c, in every runtime binary, uses it.
SHIM_SRC := $(sort $(wildcard stardust/shim/*.c))
SHIM_OBJ := $(SHIM_SRC:%.c=$(BUILD)/obj/%.o)
SD_INIT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard stardust/init/*.c)))
VOLT_STARDUST := $(BUILD)/volt-stardust
SD_INIT := $(BUILD)/stardust-init
$(LIBVOLT): $(SHIM_OBJ)
all: $(VOLT_STARDUST) $(SD_INIT)

# volt-stardust is volt-run's command table and main (included by
# stardust/cli/volt-stardust.c), so main.o itself is left out.
$(VOLT_STARDUST): $(BUILD)/obj/stardust/cli/volt-stardust.o $(filter-out %/cli/main.o,$(CLI_OBJ)) $(LIBVOLT) $(LIBOCI)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

# PID 1 of the guest: static like volt-run, since the initramfs has no libc.
$(SD_INIT): $(SD_INIT_OBJ) $(LIBVOLT) $(LIBOCI)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SD_INIT_OBJ) $(LIBVOLT) $(LIBOCI) $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
