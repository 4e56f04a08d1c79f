/** What a target's validator may know of a running service: its name, the URL it announced, its process. */
export interface ServiceInfo {
  name: string
  url?: string
  pid?: number
}
