/** LangGraph's checkpointer validation suite against a daemon on the jsonl backend. */
import { validateOnBackend } from "./validation.js";

validateOnBackend("jsonl");
