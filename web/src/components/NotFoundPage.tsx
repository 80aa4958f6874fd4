import { NotFound } from "./ErrorAlert";
export default NotFound;
