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
#include "asterisk/format_cache.h"
#include "asterisk/config.h"
#include <errno.h>
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/tcptls.h"
#include "asterisk/netsock2.h"
#include "asterisk/strings.h"
#include "asterisk/endpoints.h"

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

/*
 * Places a call and, once answered, runs it into context/exten on the calling thread until it
 * ends (AST_OUTGOING_WAIT_COMPLETE): the dialer's own thread carries the call, so it knows when
 * the call is over and how dialing went (*reason: an AST_CONTROL_* value, ANSWER when answered).
 * Variables (names[i]=values[i]) are set on the new channel; uniqueid is assigned to it.
 * Returns 0 when the call was answered and has ended, -1 when it could not be placed or answered.
 */
int minibot_originate(const char *tech, const char *addr, int timeout_ms, const char *context, const char *exten,
	const char *cid_num, const char *cid_name, const char *const *names, const char *const *values, int count,
	const char *uniqueid, int *reason)
{
	struct ast_format_cap *cap;
	struct ast_variable *vars = NULL, *var;
	struct ast_assigned_ids ids = { .uniqueid = uniqueid, .uniqueid2 = NULL };
	int i, res;

	*reason = 0;
	cap = ast_format_cap_alloc(AST_FORMAT_CAP_FLAG_DEFAULT);
	if (!cap) {
		return -1;
	}
	/* 16 kHz first: the recognizer's rate, never transcoded when the far end has it. */
	ast_format_cap_append(cap, ast_format_slin16, 0);
	ast_format_cap_append(cap, ast_format_g722, 0);
	ast_format_cap_append(cap, ast_format_slin, 0);
	ast_format_cap_append(cap, ast_format_alaw, 0);
	ast_format_cap_append(cap, ast_format_ulaw, 0);
	for (i = count - 1; i >= 0; i--) {
		var = ast_variable_new(names[i], values[i], "");
		if (!var) {
			ast_variables_destroy(vars);
			ao2_ref(cap, -1);
			return -1;
		}
		var->next = vars;
		vars = var;
	}
	res = ast_pbx_outgoing_exten(tech, cap, addr, timeout_ms, context, exten, 1, reason, AST_OUTGOING_WAIT_COMPLETE,
		cid_num && *cid_num ? cid_num : NULL, cid_name && *cid_name ? cid_name : NULL, vars, NULL, NULL, 0, &ids);
	ast_variables_destroy(vars);
	ao2_ref(cap, -1);
	return res;
}

/* An HTTP response: ast_str is a C-side type built with macros; ast_http_send frees both strings. */
void minibot_http_send(struct ast_tcptls_session_instance *ser, enum ast_http_method method, int status,
	const char *title, const char *headers, const char *body, size_t len)
{
	struct ast_str *head = ast_str_create(128);
	struct ast_str *out = ast_str_create(len + 1);

	if (!head || !out) {
		ast_free(head);
		ast_free(out);
		ast_http_error(ser, 500, "Internal Server Error", "out of memory");
		return;
	}
	ast_str_set(&head, 0, "%s", headers);
	ast_str_set(&out, 0, "%.*s", (int) len, body); /* text bodies: JSON, Prometheus, HTML */
	ast_http_send(ser, method, status, title, head, out, 0, 0); /* fd 0: no file (any other value is read) */
}

/* The client's address, without the port. */
void minibot_http_remote(struct ast_tcptls_session_instance *ser, char *buf, size_t len)
{
	ast_copy_string(buf, ast_sockaddr_stringify_addr(&ser->remote_address), len);
}

/* The request's JSON body, compact, or NULL: *error is 0 when there is none (or it is not
 * application/json), else errno (EFBIG over Asterisk's 40 KB limit, EIO when unreadable or not JSON).
 * Free with minibot_json_free. */
char *minibot_http_json_body(struct ast_tcptls_session_instance *ser, struct ast_variable *headers, int *error)
{
	struct ast_json *body;
	struct ast_variable *h;
	char *text;

	/* Over main/http.c's MAX_CONTENT_LENGTH (40960, not exported), Asterisk would refuse the body
	 * and close with it unread: the client would see a reset instead of our answer. Read it away. */
	for (h = headers; h; h = h->next) {
		if (!strcasecmp(h->name, "Content-Length") && strtol(h->value, NULL, 10) > 40960) {
			ast_http_body_discard(ser);
			*error = EFBIG;
			return NULL;
		}
	}
	errno = 0;
	body = ast_http_get_json(ser, headers);
	if (!body) {
		*error = errno;
		return NULL;
	}
	text = ast_json_dump_string(body);
	ast_json_unref(body);
	*error = text ? 0 : ENOMEM;
	return text;
}

void minibot_json_free(char *text)
{
	ast_json_free(text);
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_LOAD_ORDER, "MiniBot outbound voice bot",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.reload = reload_module,
	.load_pri = AST_MODPRI_DEFAULT,
);

/* A reference on a channel, for another thread to wake it (ast_channel_ref/unref are macros). */
struct ast_channel *minibot_channel_ref(struct ast_channel *chan)
{
	return ast_channel_ref(chan);
}

void minibot_channel_unref(struct ast_channel *chan)
{
	ast_channel_unref(chan);
}

/* Wakes the channel's thread from ast_waitfor: a null frame, which readers skip. */
void minibot_channel_wake(struct ast_channel *chan)
{
	ast_queue_frame(chan, &ast_null_frame);
}

/* Whether Asterisk knows the endpoint "tech/resource" (a PJSIP endpoint is one once configured). */
int minibot_endpoint_exists(const char *id)
{
	struct ast_endpoint *endpoint = ast_endpoint_find_by_id(id);
	int found = endpoint != NULL;

	ao2_cleanup(endpoint);
	return found;
}
