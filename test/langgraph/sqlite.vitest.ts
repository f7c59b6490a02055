/** LangGraph's checkpointer validation suite against a daemon on the sqlite backend. */
import { validateOnBackend } from "./validation.js";

validateOnBackend("sqlite");
