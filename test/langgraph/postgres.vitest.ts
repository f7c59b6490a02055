/** LangGraph's checkpointer validation suite against a daemon on the postgres backend. */
import { validateOnBackend } from "./validation.js";

validateOnBackend("postgres");
