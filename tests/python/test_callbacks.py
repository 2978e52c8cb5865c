"""The callback API: bindings from the host's listing, namespaces, invoke, list_callbacks."""

import json
import unittest

from fake_eryx import ERROR, OK
from support import GlueTest


class BindingTest(GlueTest):
    def names(self):
        return self.ok("print(sorted(k for k in globals() if not k.startswith('_')))")

    def test_api_exists_with_no_callbacks(self):
        self.assertEqual(self.names(), "['invoke', 'list_callbacks']")
        self.assertEqual(self.ok("print(list_callbacks())"), "[]")

    def test_plain_names_become_keyword_only_async_wrappers(self):
        self.host.add_callback("echo", description="Echoes")
        self.assertEqual(
            self.ok("import inspect\nprint(echo.__name__, echo.__doc__, inspect.iscoroutinefunction(echo))"),
            "echo Invoke the 'echo' callback (async). True",
        )
        self.assertIn("TypeError: echo() takes 0 positional arguments but 1 was given", self.error("await echo('x')"))

    def test_dotted_names_become_namespaces(self):
        for name in ("http.get", "http.post", "db.users.find"):
            self.host.add_callback(name)
        self.assertEqual(self.names(), "['db', 'http', 'invoke', 'list_callbacks']")
        self.assertEqual(
            self.ok("print(repr(http), repr(http.get), dir(db), repr(db.users), repr(db.users.find))"),
            "<callback namespace http> <callback http.get> ['users'] <callback namespace db.users> "
            "<callback db.users.find>",
        )
        self.assertEqual(self.ok("print(await db.users.find(id=7))"), "{'db.users.find': {'id': 7}}")
        self.assertIn("AttributeError", self.error("http._private"))

    def test_reserved_and_invalid_names_are_not_bound(self):
        for name in ("print", "json", "invoke", "os.path", "bad-name", "1x", "ok_name"):
            self.host.add_callback(name)
        self.assertEqual(self.names(), "['invoke', 'list_callbacks', 'ok_name']")
        # Still callable through invoke() and listed.
        self.assertEqual(self.ok("print(await invoke('bad-name', a=1))"), "{'bad-name': {'a': 1}}")
        self.assertEqual(self.ok("print(len(list_callbacks()))"), "7")

    def test_a_user_binding_wins_and_listing_changes_are_followed(self):
        self.host.add_callback("echo")
        self.host.add_callback("gone")
        self.ok("echo = 'mine'")
        self.host.listing = [("echo", "", ""), ("new.one", "", "")]
        self.assertEqual(
            self.ok("print(echo, sorted(k for k in globals() if not k.startswith('_')))"),
            "mine ['echo', 'invoke', 'list_callbacks', 'new']",
        )

    def test_wrappers_stay_the_same_objects_across_runs(self):
        self.host.add_callback("echo")
        self.ok("first = echo")
        self.assertEqual(self.ok("print(first is echo)"), "True")

    def test_list_callbacks_parses_schemas(self):
        schema = {"type": "object", "properties": {"message": {"type": "string"}}}
        self.host.add_callback("echo", description="Echoes", schema=json.dumps(schema))
        self.host.add_callback("broken", schema="{not json")
        listed = self.ok("print(list_callbacks())")
        self.assertEqual(
            listed,
            repr(
                [
                    {"name": "echo", "description": "Echoes", "parameters_schema": schema},
                    {"name": "broken", "description": "", "parameters_schema": None},
                ]
            ),
        )
        self.assertEqual(self.ok("list_callbacks()[0]['name'] = 'x'\nprint(list_callbacks()[0]['name'])"), "echo")

    def test_a_failing_listing_does_not_break_execute(self):
        def broken():
            raise RuntimeError("host gone")

        self.host.list_callbacks = broken
        self.assertEqual(self.ok("print('fine')"), "fine")


class InvokeTest(GlueTest):
    def test_arguments_and_result_are_json(self):
        self.host.add_callback("add", lambda args: (OK, json.dumps(args["a"] + args["b"])))
        self.assertEqual(self.ok("print(await add(a=2, b=3), await invoke('add', a=1, b=1))"), "5 2")
        self.assertEqual(self.host.calls, [("add", {"a": 2, "b": 3}), ("add", {"a": 1, "b": 1})])

    def test_an_empty_answer_is_none(self):
        self.host.add_callback("nothing", lambda args: (OK, ""))
        self.assertEqual(self.ok("print(await nothing())"), "None")

    def test_a_host_error_raises_runtime_error(self):
        self.host.add_callback("fail", lambda args: (ERROR, 'it broke: "quoted"'))
        text = self.error("await fail()")
        self.assertTrue(text.endswith('RuntimeError: it broke: "quoted"\n'), text)
        caught = self.ok("try:\n    await fail()\nexcept RuntimeError as e:\n    print(e)")
        self.assertEqual(caught, 'it broke: "quoted"')

    def test_unknown_callback(self):
        self.assertIn("RuntimeError: Callback 'nope' not found", self.error("await invoke('nope')"))

    def test_callback_events_are_traced(self):
        self.host.add_callback("echo")
        self.host.add_callback("fail", lambda args: (ERROR, "bad"))
        self.ok("await echo(message='hi')\ntry:\n    await fail()\nexcept RuntimeError:\n    pass")
        self.assertEqual(
            self.host.events("callback_start", "callback_end"),
            [
                {"type": "callback_start", "name": "echo"},
                {"type": "callback_end", "name": "echo"},
                {"type": "callback_start", "name": "fail"},
                {"type": "callback_end", "name": "fail", "error": "bad"},
            ],
        )
        starts = [(line, context) for line, e, context in self.host.trace if e["type"] == "callback_start"]
        self.assertEqual(starts, [(0, '{"message": "hi"}'), (0, "{}")])


ADD_SCHEMA = json.dumps({"type": "object", "properties": {"a": {}, "b": {}}, "required": ["a", "b"]})


class KeywordOnlyTest(GlueTest):
    """The 0.1.0 world (the 0.2.0 contract): wrappers and leaves take keywords only, whatever the schema."""

    def test_positional_arguments_are_a_type_error_and_call_nothing(self):
        self.host.add_callback("add", schema=ADD_SCHEMA)
        self.host.add_callback("search.dashboards", schema=ADD_SCHEMA)
        self.assertIn("TypeError: add() takes 0 positional arguments but 2 were given", self.error("await add(1, 2)"))
        self.assertIn(
            "TypeError: search.dashboards() takes 0 positional arguments but 1 was given",
            self.error("await search.dashboards('x')"),
        )
        self.assertIn("TypeError", self.error("await invoke('add', 1)"))
        self.assertEqual(self.host.calls, [])


class PositionalTest(GlueTest):
    """The eryx 0.5 world: positional arguments bound to the schema's properties, in their order."""

    def setUp(self):
        super().setUp()
        self.glue.use_output_record()  # what the runtime calls when execute answers execute-output

    def ok(self, code):
        return super().ok(code)[0]  # execute-output: (stdout, stderr, result-json, result-error)

    def test_positionals_fill_the_properties_in_order(self):
        self.host.add_callback("add", schema=ADD_SCHEMA)
        self.host.add_callback("search.dashboards", schema=json.dumps({"properties": {"query": {}}}))
        self.ok("await add(10, 32)\nawait add(10, b=32)\nawait search.dashboards('overview')\nawait add(a=1, b=2)")
        self.assertEqual(
            self.host.calls,
            [
                ("add", {"a": 10, "b": 32}),
                ("add", {"a": 10, "b": 32}),
                ("search.dashboards", {"query": "overview"}),
                ("add", {"a": 1, "b": 2}),
            ],
        )
        # Positionals come first in the JSON, as Python binds them.
        self.ok("await add(10, b=32)")
        self.assertEqual(list(self.host.calls[-1][1]), ["a", "b"])

    def test_the_order_is_the_properties_not_required(self):
        schema = {"type": "object", "properties": {"b": {}, "a": {}}, "required": ["a", "b"]}
        self.host.add_callback("sub", schema=json.dumps(schema))
        self.ok("await sub(1, 2)")
        self.assertEqual(self.host.calls, [("sub", {"b": 1, "a": 2})])

    def test_bad_calls_are_type_errors_before_the_host_is_called(self):
        self.host.add_callback("add", schema=ADD_SCHEMA)
        self.host.add_callback("search.dashboards", schema=json.dumps({"properties": {"query": {}}}))
        self.host.add_callback("ping")  # no schema: no positional parameters
        self.host.add_callback("odd", schema=json.dumps({"properties": ["a"]}))
        cases = {
            "await add(1, a=2)": "add() got multiple values for argument 'a'",
            "await search.dashboards('t', query='o')": "search.dashboards() got multiple values for argument 'query'",
            "await add(1, 2, 3)": "add() takes 2 positional arguments but 3 were given",
            "await search.dashboards('a', 'b')": "search.dashboards() takes 1 positional argument but 2 were given",
            "await ping(1)": "ping() takes 0 positional arguments but 1 was given",
            "await odd(1)": "odd() takes 0 positional arguments but 1 was given",
            "await search.typo(1)": "search.typo() takes 0 positional arguments but 1 was given",
        }
        for code, message in cases.items():
            caught = self.ok(f"try:\n    {code}\nexcept TypeError as e:\n    print(e)")
            self.assertEqual(caught, message, code)
        self.assertIn("TypeError", self.error("await invoke('add', 1, 2)"))  # invoke stays keyword-only
        self.assertEqual(self.host.calls, [])

    def test_the_mapping_follows_listing_changes(self):
        self.host.add_callback("f", schema=json.dumps({"properties": {"x": {}}}))
        self.ok("await f(1)")
        self.host.listing = [("f", "", json.dumps({"properties": {"y": {}}}))]
        self.ok("await f(2)")
        self.assertEqual(self.host.calls, [("f", {"x": 1}), ("f", {"y": 2})])

    def test_a_leaf_takes_a_self_keyword(self):
        self.host.add_callback("obj.method")
        self.ok("await obj.method(self=1)")
        self.assertEqual(self.host.calls, [("obj.method", {"self": 1})])


if __name__ == "__main__":
    unittest.main()
