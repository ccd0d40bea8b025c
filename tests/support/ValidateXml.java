// Validates an XML file against an XML Schema with the JDK's own validator
// (javax.xml.validation): `java ValidateXml.java SCHEMA.xsd FILE.xml`.
// Prints "valid", or the first problem with its line and exits 1.

import java.io.File;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.xml.sax.SAXParseException;

public class ValidateXml {
    public static void main(String[] args) throws Exception {
        var factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        var validator = factory.newSchema(new File(args[0])).newValidator();
        try {
            validator.validate(new StreamSource(new File(args[1])));
            System.out.println("valid");
        } catch (SAXParseException e) {
            System.out.println("line " + e.getLineNumber() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
