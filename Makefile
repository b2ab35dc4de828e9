# orm_triggers: PGXS build.
#
#   make                      build against the pg_config on PATH (or PG_CONFIG=...)
#   make install              also installs doc/*.md (and doc/orm/*.md) under
#                             share/doc/extension/orm_triggers
#   make installcheck         pg_regress, isolation specs and TAP tests against
#                             a running server (test/check does all of it for you)
#
# Extra compiler flags go in PG_CFLAGS (CI passes -Werror there).

EXTENSION    = orm_triggers
EXTVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big   = $(EXTENSION)
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA         = $(sort $(wildcard sql/$(EXTENSION)--*.sql))
PG_CPPFLAGS  = -I$(srcdir)/src
DOCS         = $(sort $(wildcard doc/*.md))
ORM_DOCS     = $(sort $(wildcard doc/orm/*.md))

# Regression tests: every sql/*.sql that is not an install or upgrade script,
# in name order (they are independent; 00_setup makes the shared roles).
REGRESS      = $(sort $(basename $(notdir $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=$(srcdir) --load-extension=plpgsql

ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation --outputdir=output_iso --load-extension=orm_triggers

TAP_TESTS    = 1
PROVE_TESTS  = $(sort $(wildcard test/t/*.pl))

EXTRA_CLEAN  = output_iso

PG_CONFIG ?= pg_config

# The trigger functions are never inlined by the JIT, so no LLVM bitcode is
# built or installed; the build then needs no clang.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The documentation pages go into a directory of their own under
# share/doc/extension (names like reference.md are too generic for the shared
# one), the ORM pages into its orm/ subdirectory, so that the links between
# pages hold.  PGXS's uninstall rule looks for DOCS under their source path;
# uninstall-docs removes them where they are.
docmoduledir := extension/$(EXTENSION)

install: install-orm-docs
uninstall: uninstall-docs
.PHONY: install-orm-docs uninstall-docs

install-orm-docs: installdirs
ifneq ($(ORM_DOCS),)
	$(MKDIR_P) '$(DESTDIR)$(docdir)/$(docmoduledir)/orm'
	$(INSTALL_DATA) $(addprefix $(srcdir)/, $(ORM_DOCS)) '$(DESTDIR)$(docdir)/$(docmoduledir)/orm/'
endif

uninstall-docs:
	rm -f $(addprefix '$(DESTDIR)$(docdir)/$(docmoduledir)'/, $(notdir $(DOCS))) \
	      $(addprefix '$(DESTDIR)$(docdir)/$(docmoduledir)/orm'/, $(notdir $(ORM_DOCS)))

ifeq ($(EXTVERSION),)
$(error could not read default_version from $(EXTENSION).control)
endif
# The current version is installed by a script of its own or, as now, by the
# released install script plus the upgrade scripts up to it.
ifeq ($(wildcard sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--*--$(EXTVERSION).sql),)
$(error neither sql/$(EXTENSION)--$(EXTVERSION).sql nor an upgrade script to $(EXTVERSION) exists: the control file says version $(EXTVERSION))
endif
