/** LangGraph's checkpointer validation suite against a daemon on the memory backend. */
import { validateOnBackend } from "./validation.js";

validateOnBackend("memory");
