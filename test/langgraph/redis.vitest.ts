/** LangGraph's checkpointer validation suite against a daemon on the redis backend. */
import { validateOnBackend } from "./validation.js";

validateOnBackend("redis");
