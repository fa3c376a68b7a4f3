/*
 * The slice of Asterisk's API that MiniBot uses: bindgen reads this file (see build.rs),
 * with an allowlist, to generate src/ast's raw bindings.
 */
#include "asterisk.h"
#include "asterisk/ast_version.h"
#include "asterisk/audiohook.h"
#include "asterisk/channel.h"
#include "asterisk/cli.h"
#include "asterisk/config.h"
#include "asterisk/file.h"
#include "asterisk/format.h"
#include "asterisk/format_cache.h"
#include "asterisk/frame.h"
#include "asterisk/http.h"
#include "asterisk/tcptls.h"
#include "asterisk/logger.h"
#include "asterisk/manager.h"
#include "asterisk/module.h"
#include "asterisk/paths.h"
#include "asterisk/pbx.h"
#include "asterisk/sched.h"

/* Defined by the C shim (src/ast/shim.c): this module's handle, for registrations. */
struct ast_module *minibot_module_self(void);
void minibot_audiohook_lock(struct ast_audiohook *audiohook);
void minibot_audiohook_unlock(struct ast_audiohook *audiohook);
void minibot_getvar(struct ast_channel *chan, const char *name, char *buf, size_t len);
struct ast_format *minibot_read_format_ref(struct ast_channel *chan);
void minibot_format_unref(struct ast_format *format);
void minibot_party_numbers(struct ast_channel *chan, char *connected, char *dialed, size_t len);
struct ast_channel *minibot_channel_ref(struct ast_channel *chan);
void minibot_channel_unref(struct ast_channel *chan);
void minibot_channel_wake(struct ast_channel *chan);
int minibot_originate(const char *tech, const char *addr, int timeout_ms, const char *context, const char *exten,
	const char *cid_num, const char *cid_name, const char *const *names, const char *const *values, int count,
	const char *uniqueid, int *reason);
void minibot_http_send(struct ast_tcptls_session_instance *ser, enum ast_http_method method, int status,
	const char *title, const char *headers, const char *body, size_t len);
void minibot_http_remote(struct ast_tcptls_session_instance *ser, char *buf, size_t len);
char *minibot_http_json_body(struct ast_tcptls_session_instance *ser, struct ast_variable *headers, int *error);
void minibot_json_free(char *text);
int minibot_endpoint_exists(const char *id);
