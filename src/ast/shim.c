/*
 * The module descriptor. Asterisk's AST_MODULE_INFO macro builds the ast_module_info struct
 * (key, build options checksum, load priority) and the constructor that registers it when
 * Asterisk dlopens us; writing that struct by hand in Rust would drift from the headers.
 * Everything else lives in Rust: load/unload/reload forward to src/module.rs, which catches panics.
 */
#include "asterisk.h"
#include "asterisk/module.h"
#include "asterisk/audiohook.h"
#include "asterisk/channel.h"
#include "asterisk/pbx.h"
#include "asterisk/astobj2.h"
#include "asterisk/format.h"

int minibot_rust_load(void);
int minibot_rust_unload(void);
int minibot_rust_reload(void);

static int load_module(void)
{
	return minibot_rust_load();
}

static int unload_module(void)
{
	return minibot_rust_unload();
}

static int reload_module(void)
{
	return minibot_rust_reload();
}

struct ast_module *minibot_module_self(void)
{
	return AST_MODULE_SELF;
}

/* ast_audiohook_lock/unlock are macros over Asterisk's mutex wrappers. */
void minibot_audiohook_lock(struct ast_audiohook *audiohook)
{
	ast_audiohook_lock(audiohook);
}

void minibot_audiohook_unlock(struct ast_audiohook *audiohook)
{
	ast_audiohook_unlock(audiohook);
}

/* A channel variable copied out under the channel lock ("" when unset). */
void minibot_getvar(struct ast_channel *chan, const char *name, char *buf, size_t len)
{
	const char *value;

	ast_channel_lock(chan);
	value = pbx_builtin_getvar_helper(chan, name);
	ast_copy_string(buf, value ? value : "", len);
	ast_channel_unlock(chan);
}

/* The channel's read format, with a reference the caller gives back with minibot_format_unref. */
struct ast_format *minibot_read_format_ref(struct ast_channel *chan)
{
	struct ast_format *format;

	ast_channel_lock(chan);
	format = ao2_bump(ast_channel_readformat(chan));
	ast_channel_unlock(chan);
	return format;
}

void minibot_format_unref(struct ast_format *format)
{
	ao2_cleanup(format);
}

/* The far end's number as the channel knows it: its connected line, and the number dialed. */
void minibot_party_numbers(struct ast_channel *chan, char *connected, char *dialed, size_t len)
{
	struct ast_party_connected_line *line;
	struct ast_party_dialed *dial;

	ast_channel_lock(chan);
	line = ast_channel_connected(chan);
	dial = ast_channel_dialed(chan);
	ast_copy_string(connected, line->id.number.valid && line->id.number.str ? line->id.number.str : "", len);
	ast_copy_string(dialed, dial->number.str ? dial->number.str : "", len);
	ast_channel_unlock(chan);
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_LOAD_ORDER, "MiniBot outbound voice bot",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.reload = reload_module,
	.load_pri = AST_MODPRI_DEFAULT,
);
