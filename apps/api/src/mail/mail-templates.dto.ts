import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAIL_TEMPLATE_PARTS, MAIL_TEMPLATES } from '@mft/mail';

export class TemplateVariableDto {
  @ApiProperty({ example: 'senderName' }) name!: string;
  @ApiProperty({ enum: ['text', 'number', 'flag', 'object', 'list'], description: 'object: print its fields (brand.name); list: go through it with {{#each}}' }) kind!: string;
  @ApiProperty() description!: string;
  @ApiPropertyOptional({ type: () => [TemplateVariableDto], description: 'The fields of an object, or of each item of a list' }) fields?: TemplateVariableDto[];
}

export class MailTemplateSummaryDto {
  @ApiProperty({ enum: MAIL_TEMPLATES }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: MAIL_TEMPLATE_PARTS, isArray: true }) parts!: string[];
  @ApiProperty({ description: 'The version in force; 0 is the built-in files, never changed' }) version!: number;
  @ApiProperty({ description: 'Some part differs from the built-in file' }) customised!: boolean;
  @ApiProperty({ enum: MAIL_TEMPLATE_PARTS, isArray: true }) customisedParts!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) updatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'user:admin' }) updatedBy!: string | null;
  @ApiProperty({ type: [TemplateVariableDto], description: 'What the template may print or test' }) variables!: TemplateVariableDto[];
}

export class MailTemplateSourcesDto {
  @ApiProperty({ description: 'One line; at most 250 characters once rendered' }) subject!: string;
  @ApiProperty({ description: 'The plain-text body (at most 64 KiB)' }) text!: string;
  @ApiProperty({ description: 'The HTML body (at most 64 KiB), placed in the gateway’s layout; every variable is HTML-escaped' }) html!: string;
}

export class MailTemplatePreviewRequestDto {
  @ApiPropertyOptional({ description: 'Left out: the subject in force' }) subject?: string;
  @ApiPropertyOptional({ description: 'Left out: the text body in force' }) text?: string;
  @ApiPropertyOptional({ description: 'Left out: the HTML body in force' }) html?: string;
}

export class MailTemplateDto extends MailTemplateSummaryDto {
  @ApiProperty({ description: 'The subject in force' }) subject!: string;
  @ApiProperty({ description: 'The text body in force' }) text!: string;
  @ApiProperty({ description: 'The HTML body in force' }) html!: string;
  @ApiProperty({ type: MailTemplateSourcesDto, description: 'The built-in files' }) defaults!: MailTemplateSourcesDto;
}

export class RenderedMailDto {
  @ApiProperty() subject!: string;
  @ApiProperty() text!: string;
  @ApiProperty({ description: 'The whole HTML document, layout included' }) html!: string;
}

export class MailTemplateVersionDto {
  @ApiProperty() version!: number;
  @ApiProperty({ enum: ['saved', 'restored', 'reset'] }) action!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'For a restore: the version put back' }) restoredFrom!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ example: 'user:admin' }) createdBy!: string;
  @ApiProperty({ enum: MAIL_TEMPLATE_PARTS, isArray: true, description: 'The parts that differed from the built-in files in this version' }) customisedParts!: string[];
}

export class MailTemplateErrorDto {
  @ApiProperty({ enum: ['mail_template_syntax', 'mail_template_unknown_variable', 'mail_template_forbidden', 'mail_template_invalid'] }) code!: string;
  @ApiProperty({ example: 'Line 3 of the HTML body: syntax error: the template ends before a {{…}} tag or a {{#…}} block is closed.' }) message!: string;
  @ApiProperty({ enum: MAIL_TEMPLATE_PARTS }) part!: string;
  @ApiProperty({ type: Number, nullable: true }) line!: number | null;
  @ApiPropertyOptional({ description: 'For mail_template_unknown_variable: the name that is not a variable' }) variable?: string;
}
